#include "timeline.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "yilian/common/oneof_event.h"
#include "yilian/common/timestamp.h"
#include "yilian/domain/referral/referral.h"

namespace yilian::referral {

namespace fv1 = ::yilian::referral::v1;
namespace dref = ::yilian::domain::referral;
using F = fv1::ReferralEvent;

namespace {

std::string When(int64_t ms) {
  return absl::FormatTime("%Y-%m-%d %H:%M", absl::FromUnixMillis(ms), absl::FixedTimeZone(8 * 3600));
}

std::string Summary(const F& e) {
  switch (e.kind_case()) {
    case F::kSubmitted: {
      const auto& r = e.submitted().referral();
      std::string s = absl::StrCat(fv1::Direction_Name(r.direction()), " ", fv1::Priority_Name(r.priority()), " ",
                                   fv1::ServiceKind_Name(r.requested_service()), " from ", r.sender_institution_id(),
                                   " to ", r.receiver_institution_id());
      if (r.has_routing()) absl::StrAppend(&s, " (routed: ", r.routing().reason(), ")");
      if (!r.linked_from().empty()) absl::StrAppend(&s, ", continuing ", r.linked_from());
      return s;
    }
    case F::kReceived:
      return "received";
    case F::kAccepted:
      return "accepted";
    case F::kRejected:
      return absl::StrCat("rejected: ", e.rejected().reason_code(),
                          e.rejected().advice().empty() ? "" : " (advice given)");
    case F::kInformationRequested:
      return "more information asked";
    case F::kInformationSupplied:
      return absl::StrCat("information supplied, ", e.information_supplied().exam_results_size(), " result(s) added");
    case F::kScheduled: {
      const auto& s = e.scheduled().schedule();
      if (s.kind() == fv1::EXPERT_OUTPATIENT)
        return absl::StrCat("expert slot booked in ", s.session_id(),
                            s.reserved_slot() ? " (reserved quota)" : " (general pool)", ", ",
                            When(common::UnixMs(s.at())));
      return absl::StrCat(fv1::ServiceKind_Name(s.kind()), " scheduled for ", When(common::UnixMs(s.at())));
    }
    case F::kBedRequested:
      if (!e.bed_requested().replaces_request_id().empty())
        return absl::StrCat("another bed asked of the bed board: ", e.bed_requested().request_id(), " (to replace ",
                            e.bed_requested().replaces_request_id(), ")");
      return absl::StrCat("bed asked of the bed board: ", e.bed_requested().request_id());
    case F::kBedAnswered:
      return e.bed_answered().reserved() ? "bed reserved" : absl::StrCat("bed declined: ", e.bed_answered().reason());
    case F::kArrived:
      return absl::StrCat("patient arrived ", When(common::UnixMs(e.arrived().at())));
    case F::kSent:
      return "sent";
    case F::kAmended: {
      std::vector<std::string> paths(e.amended().paths().begin(), e.amended().paths().end());
      return absl::StrCat("amended: ", absl::StrJoin(paths, ", "));
    }
    case F::kOwnerAssigned: {
      const auto& o = e.owner_assigned().owner();
      return absl::StrCat(e.owner_assigned().has_previous() ? "handed over to " : "owner: ",
                          o.clinician().empty() ? o.department() : o.clinician(),
                          e.owner_assigned().note().empty() ? "" : " (note given)");
    }
    case F::kRescheduled: {
      const auto& s = e.rescheduled().schedule();
      const std::string& where = s.session_id().empty() ? s.bed_request_id() : s.session_id();
      return absl::StrCat("rescheduled to ", where.empty() ? "" : where + ", ", When(common::UnixMs(s.at())));
    }
    case F::kHeld:
      return absl::StrCat("on hold: ", e.held().reason());
    case F::kResumed:
      return "resumed";
    case F::kBookedSessionCancelled:
      return absl::StrCat("its expert session ", e.booked_session_cancelled().session_id(), " was cancelled");
    case F::kEnteredInError:
      return absl::StrCat("entered in error (was ", dref::FhirStatus(e.entered_in_error().previous_status()),
                          "): ", e.entered_in_error().reason());
    case F::kPatientAdmitted:
      return "admitted into the held bed";
    case F::kCompleted:
      return absl::StrCat("completed",
                          e.completed().downward_referral_id().empty()
                              ? ""
                              : absl::StrCat(", downward referral ", e.completed().downward_referral_id()));
    case F::kCancelled:
      return absl::StrCat("cancelled: ", e.cancelled().reason());
    case F::kFailed:
      return absl::StrCat("failed: ", e.failed().reason());  // the reason starts with its code
    case F::kRedirected:
      return absl::StrCat("redirected to ", e.redirected().to_institution_id(), " as ", e.redirected().to_referral_id(),
                          ": ", e.redirected().reason());
    case F::kEscalated:
      return absl::StrCat("escalated to the ", e.escalated().to());
    case F::kBedRequestCancelled:
      return absl::StrCat("bed request released: ", e.bed_request_cancelled().reason());
    default:
      return "";
  }
}

}  // namespace

absl::StatusOr<std::vector<fv1::TimelineEntry>> Timeline(const eventstore::Journal& journal,
                                                         const std::string& referral_id,
                                                         std::vector<fv1::ReferralReply>* versions) {
  std::vector<fv1::TimelineEntry> out;
  std::optional<fv1::Referral> state;
  absl::Status failed;
  auto n =
      journal.ReadAggregate(domain::referral::kReferral, referral_id, 1, [&](const eventstore::JournalEntry& entry) {
        auto env = eventstore::ParseEnvelope(entry.envelope);
        if (!env.ok()) {
          failed = env.status();
          return false;
        }
        auto event = common::UnpackEvent<F>(*env);
        fv1::TimelineEntry t;
        t.set_version(env->aggregate_version());
        const std::string& type = env->event_type();
        t.set_event_type(type.substr(type.rfind('.') + 1));
        YILIAN_SET_MS(t, recorded_at, env->recorded_at().seconds() * 1000 + env->recorded_at().nanos() / 1'000'000);
        t.set_actor(env->actor().subject());
        t.set_actor_institution_id(env->actor().institution_id());
        if (event.ok()) t.set_summary(Summary(*event));
        if (versions != nullptr) {
          if (!event.ok()) {
            failed = event.status();
            return false;
          }
          if (auto s = dref::Evolve(state, *event); !s.ok()) {
            failed = s;
            return false;
          }
          fv1::ReferralReply& v = versions->emplace_back();
          *v.mutable_referral() = *state;
          v.mutable_referral()->clear_sealed_identity();
          v.set_version(env->aggregate_version());
        }
        out.push_back(std::move(t));
        return true;
      });
  if (!n.ok()) return n.status();
  if (!failed.ok()) return failed;
  return out;
}

}  // namespace yilian::referral
