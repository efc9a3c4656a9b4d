// The referral core against the HL7 FHIR R4 Task state machine
// (https://hl7.org/fhir/R4/task.html#statemachine): every (state, command, side) is tried, and
// every status change a command makes must be a transition of that machine; what the refusals
// offer (AllowedActions) is exactly what some caller can do.
#include <set>

#include "referral_fixture.h"
#include "yilian/common/timestamp.h"

namespace yilian::domain::referral {
namespace {

using Edge = std::pair<fv1::Status, fv1::Status>;

// The R4 Task state machine's transitions as Yilian uses them: the "typical" machine's arrows
// (draft -> requested -> received -> accepted -> ready -> in-progress <-> on-hold ->
// completed; rejected by the potential performer before it starts; failed once it is ready or
// under way), "a task in any non-terminal state may also be cancelled" (Yilian: not once the
// patient has arrived), and entered-in-error for a task that should never have existed, from
// any state. Nothing leaves a terminal state except to entered-in-error.
const std::set<Edge>& FhirTaskMachine() {
  static const auto* edges = [] {
    auto* e = new std::set<Edge>{
        {fv1::DRAFT, fv1::REQUESTED},       {fv1::DRAFT, fv1::CANCELLED},    {fv1::REQUESTED, fv1::RECEIVED},
        {fv1::REQUESTED, fv1::ACCEPTED},    {fv1::REQUESTED, fv1::REJECTED}, {fv1::REQUESTED, fv1::CANCELLED},
        {fv1::RECEIVED, fv1::ACCEPTED},     {fv1::RECEIVED, fv1::REJECTED},  {fv1::RECEIVED, fv1::CANCELLED},
        {fv1::ACCEPTED, fv1::READY},        {fv1::ACCEPTED, fv1::CANCELLED}, {fv1::READY, fv1::IN_PROGRESS},
        {fv1::READY, fv1::CANCELLED},       {fv1::READY, fv1::FAILED},       {fv1::IN_PROGRESS, fv1::ON_HOLD},
        {fv1::IN_PROGRESS, fv1::COMPLETED}, {fv1::IN_PROGRESS, fv1::FAILED}, {fv1::ON_HOLD, fv1::IN_PROGRESS},
    };
    for (int s = fv1::Status_MIN; s <= fv1::Status_MAX; ++s)
      if (fv1::Status_IsValid(s) && s != fv1::STATUS_UNSPECIFIED && s != fv1::ENTERED_IN_ERROR)
        e->insert({static_cast<fv1::Status>(s), fv1::ENTERED_IN_ERROR});
    return e;
  }();
  return *edges;
}

using State = std::optional<fv1::Referral>;
using Command = std::function<absl::StatusOr<Events>(const State&, Side)>;

class ReferralFhirTest : public ReferralCoreTest {
 protected:
  // One referral in each state (and each business status that changes what may be done).
  std::vector<std::pair<std::string, State>> States() {
    std::vector<std::pair<std::string, State>> out;
    auto draft_events = SaveDraft(std::nullopt, Draft(), dir_, kNow);
    EXPECT_OK(draft_events.status());
    out.emplace_back("draft", Fold(*draft_events));
    auto s = Submitted();
    out.emplace_back("requested", s);
    auto received = s;
    Do(received, Acknowledge(received, Side::kReceiver, kNow));
    out.emplace_back("received", received);
    auto awaiting = s;
    Do(awaiting, RequestInformation(awaiting, Side::kReceiver, "latest CT?", kNow));
    out.emplace_back("received/awaiting-information", awaiting);
    auto accepted = s;
    Do(accepted, Accept(accepted, Side::kReceiver, kNow));
    out.emplace_back("accepted", accepted);
    auto ready = accepted;
    Do(ready, ScheduleAppointment(ready, Side::kReceiver, Slot("loudi-1st/neuro/am"), kNow));
    out.emplace_back("ready", ready);
    auto cancelled_session = ready;
    cancelled_session = Fold(SessionCancelled(ready, "loudi-1st/neuro/am", "expert away", kNow), ready);
    out.emplace_back("ready/session-cancelled", cancelled_session);
    auto bed = Draft();
    bed.set_requested_service(fv1::INPATIENT_BED);
    auto bed_accepted = Submitted(bed);
    Do(bed_accepted, Accept(bed_accepted, Side::kReceiver, kNow));
    auto bed_asked = bed_accepted;
    Do(bed_asked, RequestBed(bed_asked, Side::kReceiver, rv1::WARD_GENERAL, kNow + absl::Hours(24), kNow));
    out.emplace_back("accepted/bed-requested", bed_asked);
    auto bed_ready = bed_asked;
    Do(bed_ready, AnswerBed(bed_ready, Side::kSystem, bed_asked->schedule().bed_request_id(), true, "", kNow));
    out.emplace_back("ready/bed-reserved", bed_ready);
    auto bed_moving = bed_ready;
    Do(bed_moving, RescheduleBed(bed_moving, Side::kReceiver, rv1::WARD_GENERAL, kNow + absl::Hours(30), "", kNow));
    out.emplace_back("ready/another-bed-requested", bed_moving);
    auto arrived = ready;
    Do(arrived, RecordArrival(arrived, Side::kReceiver, std::nullopt, kNow + absl::Hours(48)));
    out.emplace_back("in-progress", arrived);
    auto held = arrived;
    Do(held, Hold(held, Side::kReceiver, "sent for an exam elsewhere", kNow + absl::Hours(49)));
    out.emplace_back("on-hold", held);
    auto completed = arrived;
    Do(completed, Complete(completed, Side::kReceiver, "done", "", kNow + absl::Hours(50)));
    out.emplace_back("completed", completed);
    auto rejected = s;
    Do(rejected, Reject(rejected, Side::kReceiver, "not-indicated", "", kNow));
    out.emplace_back("rejected", rejected);
    auto cancelled = s;
    Do(cancelled, Cancel(cancelled, Side::kSender, "recovered", kNow));
    out.emplace_back("cancelled", cancelled);
    auto failed = ready;
    Do(failed, Fail(failed, Side::kReceiver, fv1::NO_SHOW, "", kNow));
    out.emplace_back("failed", failed);
    auto wrong = s;
    Do(wrong, MarkEnteredInError(wrong, Side::kSender, "wrong patient", "dr.li", "qiaotouhe-thc", kNow));
    out.emplace_back("entered-in-error", wrong);
    return out;
  }

  static fv1::Schedule Slot(const std::string& session, absl::Duration ahead = absl::Hours(48)) {
    fv1::Schedule slot;
    slot.set_kind(fv1::EXPERT_OUTPATIENT);
    slot.set_session_id(session);
    YILIAN_SET_MS(slot, at, absl::ToUnixMillis(kNow + ahead));
    return slot;
  }

  // Every command, by the name AllowedActions uses (the service's own moves under "~").
  std::vector<std::pair<std::string, Command>> Commands() {
    const absl::Time t = kNow + absl::Hours(1);
    fv1::Referral urgent;
    urgent.set_priority(fv1::ASAP);
    fv1::Owner owner;
    owner.set_department("neurology");
    fv1::ExamResultRef ct;
    ct.set_kind(fv1::CT);
    ct.set_result_id("ct-7");
    ct.set_performing_institution_id("lianyuan-county");
    YILIAN_SET_MS(ct, performed_at, absl::ToUnixMillis(kNow - absl::Hours(24)));
    return {
        {"send", [&, t](const State& s, Side side) { return Send(s, side, dir_, t); }},
        {"amend", [&, t, urgent](const State& s, Side side) { return Amend(s, side, urgent, {"priority"}, dir_, t); }},
        {"acknowledge", [t](const State& s, Side side) { return Acknowledge(s, side, t); }},
        {"accept", [t](const State& s, Side side) { return Accept(s, side, t); }},
        {"reject", [t](const State& s, Side side) { return Reject(s, side, "not-indicated", "", t); }},
        {"request-information", [t](const State& s, Side side) { return RequestInformation(s, side, "the ECG?", t); }},
        {"supply-information",
         [t, ct](const State& s, Side side) { return SupplyInformation(s, side, "attached", {ct}, t); }},
        {"assign-owner", [t, owner](const State& s, Side side) { return AssignOwner(s, side, owner, "", t); }},
        {"schedule",
         [t](const State& s, Side side) -> absl::StatusOr<Events> {
           if (s && s->requested_service() == fv1::INPATIENT_BED)
             return RequestBed(s, side, rv1::WARD_GENERAL, t + absl::Hours(24), t);
           return ScheduleAppointment(s, side, Slot("loudi-1st/neuro/pm"), t);
         }},
        {"reschedule",
         [t](const State& s, Side side) -> absl::StatusOr<Events> {
           if (s && s->requested_service() == fv1::INPATIENT_BED)
             return RescheduleBed(s, side, rv1::WARD_GENERAL, t + absl::Hours(30), "", t);
           return Reschedule(s, side, Slot("loudi-1st/neuro/next", absl::Hours(96)), "", t);
         }},
        {"record-arrival", [t](const State& s, Side side) { return RecordArrival(s, side, std::nullopt, t); }},
        {"hold", [t](const State& s, Side side) { return Hold(s, side, "paused", t); }},
        {"resume", [t](const State& s, Side side) { return Resume(s, side, t); }},
        {"fail", [t](const State& s, Side side) { return Fail(s, side, fv1::PATIENT_DECLINED, "", t); }},
        {"complete", [t](const State& s, Side side) { return Complete(s, side, "treated", "", t); }},
        {"cancel", [t](const State& s, Side side) { return Cancel(s, side, "recovered", t); }},
        {"redirect",
         [t](const State& s, Side side) { return Redirect(s, side, "ref-1.redir", "lianyuan-county", "nearer", t); }},
        {"mark-entered-in-error",
         [t](const State& s, Side side) { return MarkEnteredInError(s, side, "duplicate", "x", "y", t); }},
        {"~timers", [](const State& s, Side) { return absl::StatusOr<Events>(DueTimers(s, absl::InfiniteFuture())); }},
        {"~bed-answer",
         [t](const State& s, Side side) {
           return AnswerBed(s, side, s ? s->schedule().bed_request_id() : "", false, "full", t);
         }},
        {"~session-cancelled",
         [t](const State& s, Side) {
           return absl::StatusOr<Events>(SessionCancelled(s, s ? s->schedule().session_id() : "", "away", t));
         }},
    };
  }
};

TEST_F(ReferralFhirTest, EveryTransitionIsOneOfTheFhirTaskStateMachine) {
  std::set<Edge> used;
  for (const auto& [state_name, state] : States()) {
    ASSERT_TRUE(state) << state_name;
    const auto allowed = AllowedActions(*state);
    for (const auto& [command, run] : Commands()) {
      bool someone = false;
      for (Side side : {Side::kSender, Side::kReceiver, Side::kLead, Side::kSystem}) {
        auto events = run(state, side);
        if (!events.ok()) {
          const auto code = events.status().code();
          EXPECT_TRUE(code == absl::StatusCode::kFailedPrecondition || code == absl::StatusCode::kPermissionDenied ||
                      code == absl::StatusCode::kInvalidArgument)
              << state_name << " " << command << ": " << events.status();
          continue;
        }
        if (events->empty()) continue;  // nothing to do (a timer not due, a stale answer)
        if (side != Side::kSystem) someone = true;
        State s = state;
        for (const auto& e : *events) {
          const fv1::Status before = s->status();
          ASSERT_OK(Evolve(s, e));
          if (s->status() == before) continue;
          EXPECT_TRUE(FhirTaskMachine().count({before, s->status()}))
              << state_name << " " << command << ": " << FhirStatus(before) << " -> " << FhirStatus(s->status())
              << " is not a FHIR R4 Task transition";
          used.insert({before, s->status()});
        }
      }
      if (command[0] == '~') continue;
      const bool listed = std::find(allowed.begin(), allowed.end(), command) != allowed.end();
      EXPECT_EQ(listed, someone) << state_name << ": \"" << command << "\" "
                                 << (listed ? "is offered but nobody can do it" : "works but is not offered");
    }
  }
  // The lifecycle reaches every FHIR status but the optional requested -> accepted shortcut
  // (accepting records receipt first).
  for (const auto& edge : FhirTaskMachine()) {
    if (edge == Edge{fv1::REQUESTED, fv1::ACCEPTED}) continue;
    EXPECT_TRUE(used.count(edge)) << FhirStatus(edge.first) << " -> " << FhirStatus(edge.second) << " never used";
  }
}

TEST_F(ReferralFhirTest, EachStatusIsOneFhirCodeAndBusinessStatusesAreCodes) {
  std::set<std::string> codes;
  for (int s = fv1::Status_MIN; s <= fv1::Status_MAX; ++s)
    if (fv1::Status_IsValid(s) && s != fv1::STATUS_UNSPECIFIED) codes.insert(FhirStatus(static_cast<fv1::Status>(s)));
  // http://hl7.org/fhir/task-status, all twelve codes.
  EXPECT_EQ(codes,
            (std::set<std::string>{"draft", "requested", "received", "accepted", "rejected", "ready", "cancelled",
                                   "in-progress", "on-hold", "failed", "completed", "entered-in-error"}));
  EXPECT_EQ(FhirBusinessStatus(fv1::AWAITING_INFORMATION), "awaiting-information");
  EXPECT_EQ(FhirBusinessStatus(fv1::BUSINESS_STATUS_UNSPECIFIED), "");
}

}  // namespace
}  // namespace yilian::domain::referral
