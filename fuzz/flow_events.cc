// (c) The referral's and the green channel's events as their consumers take them: the intake
// projectors (what is queued or refused), the intake handlers' decisions on the aggregate they
// touch (intake.cc, bed_commands.cc), the Evolve folds the services and the audit's
// point-in-time rebuild and compliance report run over archived events, and what is computed
// from the folded state (timers, allowed actions, free beds, expiries, treatment clocks).
#include "services/greenchannel/board_model.h"
#include "services/greenchannel/intake.h"
#include "services/referral/intake.h"
#include "support.h"
#include "targets.h"
#include "yilian/common/oneof_event.h"
#include "yilian/common/timestamp.h"
#include "yilian/domain/greenchannel/bed_board.h"
#include "yilian/domain/greenchannel/bed_request.h"
#include "yilian/domain/greenchannel/emergency_case.h"
#include "yilian/domain/referral/referral.h"
#include "yilian/domain/referral/slots.h"
#include "yilian/domain/registry/registry.h"

namespace yilian::fuzz {

namespace {

namespace dgc = ::yilian::domain::greenchannel;
namespace dref = ::yilian::domain::referral;
namespace fv1 = ::yilian::referral::v1;
namespace gv1 = ::yilian::greenchannel::v1;
namespace rv1 = ::yilian::registry::v1;

constexpr int kMaxEvents = 24;
const absl::Time kRecorded = absl::FromUnixSeconds(1'700'000'000);

template <typename Row, typename State>
bool ReadState(FuzzInput& in, const State& (Row::*field)() const, std::optional<State>& out) {
  const bool exists = in.Bool();
  Row row;
  if (!in.Parse(row)) return false;
  if (exists) out = (row.*field)();
  return true;
}

// What is computed from a referral whatever its history: the timers, the reply's reads.
void ReadReferral(const std::optional<fv1::Referral>& r, absl::Time now) {
  (void)dref::DueTimers(r, now);
  if (!r) return;
  (void)dref::NextTimer(*r);
  (void)dref::AllowedActions(*r);
  (void)dref::IsTerminal(r->status());
}

// referral intake.cc: the answer the bed board sent for `request_id`, decided on the referral.
void ReferralIntake(const events::v1::Envelope& env, std::optional<fv1::Referral>& referral, absl::Time now) {
  const std::string& request_id = env.aggregate_id();
  const auto& p = env.payload();
  absl::StatusOr<dref::Events> events = dref::Events{};
  if (p.Is<gv1::BedReserved>() || p.Is<gv1::BedRequestDeclined>()) {
    const bool reserved = p.Is<gv1::BedReserved>();
    gv1::BedRequest req;
    if (reserved) {
      gv1::BedReserved e;
      if (!p.UnpackTo(&e)) return;
      req = e.request();
    } else {
      gv1::BedRequestDeclined e;
      if (!p.UnpackTo(&e)) return;
      req = e.request();
    }
    events = dref::AnswerBed(referral, dref::Side::kSystem, request_id, reserved, req.reason(), now);
  } else {
    gv1::BedRequestReleased e;
    if (!p.UnpackTo(&e) || e.reason() != "expired") return;
    if (!referral || referral->status() != fv1::READY || referral->schedule().bed_request_id() != request_id) return;
    events =
        dref::Fail(referral, dref::Side::kSystem, fv1::NO_SHOW, "the bed hold lapsed before the patient arrived", now);
  }
  if (!events.ok()) return;
  for (const auto& e : *events)
    Require(dref::Evolve(referral, e).ok(), "the referral intake's decision folds into the referral");
}

}  // namespace

// Layout: now, the referral (flag + ReferralReply chunk), the session's bookings and the
// session (chunks), a signed-resident flag, then up to 24 items: kind (0: a ReferralEvent chunk
// folded as the audit's rebuild does; 1: a bed board event from the bus: aggregate id chunk +
// BedRequestEvent chunk; 2: a SessionEvent chunk folded into the bookings).
int FuzzReferralEvents(const uint8_t* data, size_t size) {
  FuzzInput in(data, size);
  static referral::IntakeProjector* intake = new referral::IntakeProjector();
  const absl::Time now = ReadNow(in);
  std::optional<fv1::Referral> referral;
  fv1::SessionBookings bookings;
  rv1::ExpertSession session;
  if (!ReadState(in, &fv1::ReferralReply::referral, referral) || !in.Parse(bookings) || !in.Parse(session)) return 0;
  const bool signed_resident = in.Bool();
  Scratch inbox;
  for (int i = 0; i < kMaxEvents && !in.empty(); ++i) {
    const uint8_t kind = in.Byte() % 3;
    if (kind == 0) {
      fv1::ReferralEvent e;
      if (!in.Parse(e)) break;
      (void)common::UnpackEvent<fv1::ReferralEvent>(common::EnvelopeOf(e));
      (void)dref::Evolve(referral, e);
    } else if (kind == 1) {
      const std::string id = in.Text();
      gv1::BedRequestEvent e;
      if (!in.Parse(e)) break;
      const auto env =
          EnvelopeFor(common::OneofPayload(e), "greenchannel", dgc::kBedRequest, id, i + 1, i + 1, kRecorded);
      if (!intake->ApplyEntry(env, env.SerializeAsString(), inbox.rows()).ok()) continue;  // parked
      if (env.payload().Is<gv1::BedReserved>() || env.payload().Is<gv1::BedRequestDeclined>() ||
          env.payload().Is<gv1::BedRequestReleased>())
        ReferralIntake(env, referral, now);
    } else {
      fv1::SessionEvent e;
      if (!in.Parse(e)) break;
      (void)dref::EvolveSession(bookings, e);
    }
    ReadReferral(referral, now);
    if (referral) {  // what ListAvailableSlots and Schedule read of the session
      (void)dref::Availability(session, bookings, referral->sender_institution_id(), signed_resident, now);
      (void)dref::BookSlot(session, bookings, *referral, signed_resident, now);
    }
  }
  return 0;
}

namespace {

struct Board {
  std::optional<gv1::WardBoard> ward;
  std::optional<gv1::EmergencyCase> emergency;
  std::optional<gv1::BedRequest> request;
  int64_t now = 0;
};

template <typename State, typename Event>
void Fold(std::optional<State>& state, const absl::StatusOr<std::vector<Event>>& events, const char* what) {
  if (!events.ok()) return;
  for (const auto& e : *events) Require(dgc::Evolve(state, e).ok(), what);
}

// bed_commands.cc: what the bed board does with a referral's bed event from its inbox.
void BoardIntake(const events::v1::Envelope& env, Board& b) {
  const auto& p = env.payload();
  if (p.Is<fv1::BedRequested>()) {
    fv1::BedRequested req;
    p.UnpackTo(&req);
    gv1::BedHold hold;
    hold.set_hold_id("bed:" + req.request_id());
    hold.set_purpose(gv1::REFERRAL);
    hold.set_subject_id(req.referral_id());
    YILIAN_SET_MS(hold, placed_at, b.now);
    YILIAN_SET_MS(hold, expires_at,
                  common::UnixMs(req.hold_until()) > 0 ? common::UnixMs(req.hold_until()) : b.now + 24 * 3'600'000);
    gv1::BedRequest answer;
    answer.set_request_id(req.request_id());
    answer.set_referral_id(req.referral_id());
    answer.set_institution_id(req.institution_id());
    answer.set_ward_kind(req.ward_kind());
    auto held = dgc::PlaceHold(b.ward, hold);
    if (held.ok()) {
      answer.set_ward_id(b.ward->ward_id());
      answer.set_hold_id(hold.hold_id());
      YILIAN_SET_MS(answer, expires_at, common::UnixMs(hold.expires_at()));
    } else {
      answer.set_reason(std::string(held.status().message()));
    }
    auto answered = dgc::AnswerBedRequest(b.request, answer);
    if (!answered.ok()) return;
    Fold(b.ward, held, "a referral's bed hold folds into its ward");
    Fold(b.request, answered, "the bed board's answer folds into the bed request");
  } else if (p.Is<fv1::BedRequestCancelled>()) {
    fv1::BedRequestCancelled req;
    p.UnpackTo(&req);
    if (!b.request || b.request->status() != gv1::RESERVED) return;
    auto released = dgc::ReleaseBedRequest(b.request, "cancelled: " + req.reason());
    auto hold = dgc::ReleaseHold(b.ward, b.request->hold_id(), "cancelled");
    Fold(b.request, released, "a cancellation folds into the bed request");
    Fold(b.ward, hold, "a cancellation folds into the ward");
  } else if (p.Is<fv1::ReferredPatientAdmitted>()) {
    if (!b.request || b.request->status() != gv1::RESERVED) return;
    auto taken = dgc::TakeUpBedRequest(b.request, b.request->request_id());
    auto occupied = dgc::Admit(b.ward, b.request->hold_id(), b.request->request_id());
    if (!taken.ok() || !occupied.ok()) return;
    Fold(b.request, taken, "an admission folds into the bed request");
    Fold(b.ward, occupied, "an admission folds into the ward");
  }
}

}  // namespace

// Layout: now, the ward (flag + WardStatus chunk), the case (flag + CaseReply chunk), the bed
// request (flag + BedRequestReply chunk), then up to 24 items: kind (0 BoardEvent, 1 CaseEvent,
// 2 BedRequestEvent chunks, folded as the audit's rebuild and the board's projection do;
// 3: a referral event from the bus: aggregate id chunk + ReferralEvent chunk; 4: a registry
// ward event from the bus: aggregate id chunk + RegistryEvent chunk).
int FuzzGreenchannelEvents(const uint8_t* data, size_t size) {
  FuzzInput in(data, size);
  static greenchannel::IntakeProjector* intake = new greenchannel::IntakeProjector();
  static greenchannel::BoardProjector* projector = new greenchannel::BoardProjector();
  Board b;
  b.now = absl::ToUnixMillis(ReadNow(in));
  if (!ReadState(in, &gv1::WardStatus::board, b.ward) || !ReadState(in, &gv1::CaseReply::emergency_case, b.emergency) ||
      !ReadState(in, &gv1::BedRequestReply::request, b.request))
    return 0;
  Scratch inbox, projection(eventstore::Family::kProjection);
  dgc::TreatmentClocksTally tally;
  std::optional<rv1::Ward> registry_ward;
  for (int i = 0; i < kMaxEvents && !in.empty(); ++i) {
    const uint8_t kind = in.Byte() % 5;
    if (kind <= 2) {
      events::v1::Envelope env;
      if (kind == 0) {
        gv1::BoardEvent e;
        if (!in.Parse(e)) break;
        (void)dgc::Evolve(b.ward, e);
        env = EnvelopeFor(common::OneofPayload(e), "greenchannel", dgc::kWard, "inst/ward", i + 1, i + 1, kRecorded);
      } else if (kind == 1) {
        gv1::CaseEvent e;
        if (!in.Parse(e)) break;
        (void)dgc::Evolve(b.emergency, e);
        if (b.emergency) tally.Add(*b.emergency);
        env = EnvelopeFor(common::OneofPayload(e), "greenchannel", dgc::kCase, "case-1", i + 1, i + 1, kRecorded);
      } else {
        gv1::BedRequestEvent e;
        if (!in.Parse(e)) break;
        (void)dgc::Evolve(b.request, e);
        env =
            EnvelopeFor(common::OneofPayload(e), "greenchannel", dgc::kBedRequest, "r/bed@1", i + 1, i + 1, kRecorded);
      }
      (void)projector->Apply(env, projection.rows());  // the board's own read model
    } else {
      const std::string id = in.Text();
      events::v1::Envelope env;
      if (kind == 3) {
        fv1::ReferralEvent e;
        if (!in.Parse(e)) break;
        env = EnvelopeFor(common::OneofPayload(e), "referral", dref::kReferral, id, i + 1, i + 1, kRecorded);
      } else {
        rv1::RegistryEvent e;
        if (!in.Parse(e)) break;
        env = EnvelopeFor(common::OneofPayload(e), "registry", domain::registry::kWard, id, i + 1, i + 1, kRecorded);
        (void)domain::registry::Evolve(registry_ward, e);
      }
      if (!intake->ApplyEntry(env, env.SerializeAsString(), inbox.rows()).ok()) continue;  // parked
      if (kind == 3) {
        BoardIntake(env, b);
      } else if (registry_ward && id.find('/') != std::string::npos) {  // Intake::Handle -> SetCapacity
        gv1::WardCapacitySet cmd;
        cmd.set_institution_id(registry_ward->institution_id());
        cmd.set_ward_id(registry_ward->ward_id());
        cmd.set_kind(registry_ward->kind());
        cmd.set_capacity(registry_ward->capacity());
        cmd.set_emergency_reserved(registry_ward->emergency_reserved());
        Fold(b.ward, dgc::SetCapacity(b.ward, cmd), "a registry ward's capacity folds into the board");
      }
    }
    if (b.ward) {
      (void)greenchannel::StatusOf(*b.ward, i);
      (void)dgc::FreeBeds(*b.ward, gv1::EMERGENCY);
      (void)dgc::FreeBeds(*b.ward, gv1::REFERRAL);
      const auto expired = dgc::Expire(b.ward, b.now);
      Fold(b.ward, absl::StatusOr<dgc::BoardEvents>(expired), "expired holds fold into the ward");
    }
    if (b.emergency) (void)dgc::ClocksOf(*b.emergency);
  }
  (void)tally.Rows();
  return 0;
}

}  // namespace yilian::fuzz
