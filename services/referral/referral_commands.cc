#include "referral_commands.h"

#include "absl/strings/str_cat.h"
#include "streams.h"
#include "yilian/common/sha256.h"
#include "yilian/common/status_macros.h"
#include "yilian/common/timestamp.h"
#include "yilian/domain/limits/limits.h"
#include "yilian/domain/referral/access.h"
#include "yilian/domain/referral/slots.h"
#include "yilian/privacy/identity.h"

namespace yilian::referral {

namespace dref = ::yilian::domain::referral;

namespace fv1 = ::yilian::referral::v1;

using command::Call;

ReferralCommands::ReferralCommands(eventstore::Journal* journal, const ReferralView* view,
                                   const MirrorDirectory* directory, privacy::KeyVault* vault, const ReplyShape* shape,
                                   common::Clock* clock, Options options)
    : runner_(journal, {.service = "referral", .log_changes = true}),
      view_(view),
      directory_(directory),
      vault_(vault),
      shape_(shape),
      clock_(clock),
      options_(options) {}

absl::StatusOr<ReferralCommands::Decision> ReferralCommands::DecideOn(const Call& call, const std::string& referral_id,
                                                                      int64_t expected_version, Decide decide,
                                                                      bool check_caller) {
  ASSIGN_OR_RETURN(auto row, view_->Referral(referral_id));
  std::optional<fv1::Referral> state;
  int64_t version = 0;
  std::string held_session;  // the expert slot it holds before the command
  if (row) {
    held_session = dref::HeldSession(row->referral());
    // Who asks before anything about the referral (its version included) is told.
    if (check_caller) RETURN_IF_ERROR(dref::SideOf(call.actor, row->referral(), *directory_).status());
    state = std::move(*row->mutable_referral());
    version = row->version();
  }
  RETURN_IF_ERROR(command::CheckVersion(dref::kReferral, referral_id, version, expected_version));
  ReferralStream referral(kReferralKind, referral_id, std::move(state), version);
  Decision d;
  RETURN_IF_ERROR(decide(referral, d));
  if (referral.empty()) {
    if (!d.appends.empty()) return absl::InternalError("a referral command changed other aggregates only");
    if (!row) return absl::NotFoundError(absl::StrCat("no referral ", referral_id));
    d.reply = *std::move(row);  // nothing changes: the referral as it is
    *d.reply.mutable_referral() = std::move(*referral.mutable_state());
    return d;
  }
  if (!held_session.empty()) RETURN_IF_ERROR(FollowSlot(held_session, *referral.state(), d));
  // The referral's flow id, kept from its submission, ties its events (and the referrals it
  // opens) together in every service, whatever id later calls came with.
  d.flow_id = row && !row->correlation_id().empty() ? row->correlation_id() : call.correlation_id;
  if (d.reply.referral().referral_id().empty()) {  // the answer is this referral (not one it opened)
    d.reply.set_version(referral.version());
    *d.reply.mutable_referral() = std::move(*referral.mutable_state());
  }
  d.reply.set_correlation_id(d.flow_id);
  d.appends.insert(d.appends.begin(), std::move(referral).Append());  // first: it carries the idempotency
  return d;
}

absl::Status ReferralCommands::MaySee(const Call& call, const std::string& referral_id) const {
  ASSIGN_OR_RETURN(auto row, view_->Referral(referral_id));
  if (!row) return absl::OkStatus();  // a Submit's retry is the submitter's own; nothing else to see
  return dref::SideOf(call.actor, row->referral(), *directory_).status();
}

void ReferralCommands::RunCommand(const Call& call, const std::string& referral_id, int64_t expected_version,
                                  Decide decide, Done done) {
  if (auto s = domain::limits::Reference("referral_id", referral_id); !s.ok()) return std::move(done)(s);
  runner_.Run<fv1::ReferralReply>(
      call, {&referral_locks_, referral_id, [&] { return MaySee(call, referral_id); }},
      [&] { return DecideOn(call, referral_id, expected_version, decide, /*check_caller=*/true); }, std::move(done),
      [shape = shape_](fv1::ReferralReply& r) { (*shape)(r); });
}

void ReferralCommands::RunOnExisting(const Call& call, const std::string& referral_id, int64_t expected_version,
                                     absl::FunctionRef<absl::Status(ReferralStream&, dref::Side, Decision&)> decide,
                                     Done done) {
  RunCommand(
      call, referral_id, expected_version,
      [&](ReferralStream& referral, Decision& d) -> absl::Status {
        if (!referral.state()) return absl::NotFoundError(absl::StrCat("no referral ", referral_id));
        ASSIGN_OR_RETURN(dref::Side side, dref::SideOf(call.actor, *referral.state(), *directory_));
        return decide(referral, side, d);
      },
      std::move(done));
}

void ReferralCommands::Submit(const Call& call, const fv1::SubmitReferralRequest& req, Done done) {
  // A suspended institution's staff submit nothing (before any retry's answer, too).
  if (auto s = dref::NotSuspended(call.actor, *directory_); !s.ok()) return std::move(done)(s);
  // The service names the referral after the call, so a retry names the same one.
  auto draft =
      dref::SubmissionDraft(req.referral(), call.actor, "ref-" + common::Sha256Hex(call.idempotency_key).substr(0, 20));
  if (!draft.ok()) return std::move(done)(draft.status());
  RunCommand(
      call, draft->referral_id(), 0,
      [&](ReferralStream& referral, Decision&) -> absl::Status {
        ASSIGN_OR_RETURN(auto events,
                         req.draft() ? dref::SaveDraft(referral.state(), *draft, *directory_, Now(), options_.deadlines)
                                     : dref::Submit(referral.state(), *draft, *directory_, Now(), options_.deadlines));
        // The rules first, then the identity: a refused call makes no key.
        ASSIGN_OR_RETURN(auto sealed, privacy::SealIdentity(*vault_, draft->patient(), req.identity()));
        if (sealed)
          for (auto& e : events)
            if (e.has_submitted()) *e.mutable_submitted()->mutable_referral()->mutable_sealed_identity() = *sealed;
        return referral.Add(events);
      },
      std::move(done));
}

void ReferralCommands::Run(const Call& call, const std::string& referral_id, int64_t expected_version, Act act,
                           Done done) {
  RunOnExisting(
      call, referral_id, expected_version,
      [&](ReferralStream& referral, dref::Side side, Decision&) -> absl::Status {
        ASSIGN_OR_RETURN(auto events, act(referral.state(), side, Now()));
        return referral.Add(events);
      },
      std::move(done));
}

absl::StatusOr<std::vector<fv1::SessionBookings>> ReferralCommands::LockSessions(std::vector<std::string> ids,
                                                                                 Decision& d) {
  for (auto& hold : session_locks_.LockAll({ids.begin(), ids.end()})) d.locks.push_back(std::move(hold));
  std::vector<fv1::SessionBookings> out;
  for (const auto& id : ids) {
    ASSIGN_OR_RETURN(auto b, view_->Bookings(id));
    out.push_back(std::move(b));
  }
  return out;
}

void ReferralCommands::Send(const Call& call, const fv1::SendReferralRequest& req, Done done) {
  Run(
      call, req.referral_id(), req.expected_version(),
      [&](const std::optional<fv1::Referral>& r, dref::Side side, absl::Time now) {
        return dref::Send(r, side, *directory_, now, options_.deadlines);
      },
      std::move(done));
}

void ReferralCommands::Amend(const Call& call, const fv1::AmendReferralRequest& req, Done done) {
  const std::vector<std::string> paths(req.update_mask().paths().begin(), req.update_mask().paths().end());
  Run(
      call, req.referral_id(), req.expected_version(),
      [&](const std::optional<fv1::Referral>& r, dref::Side side, absl::Time now) {
        return dref::Amend(r, side, req.changes(), paths, *directory_, now, options_.deadlines);
      },
      std::move(done));
}

void ReferralCommands::MarkEnteredInError(const Call& call, const fv1::MarkEnteredInErrorRequest& req, Done done) {
  Run(
      call, req.referral_id(), req.expected_version(),
      [&](const std::optional<fv1::Referral>& r, dref::Side side, absl::Time now) {
        return dref::MarkEnteredInError(r, side, req.reason(), call.actor.subject, call.actor.institution_id, now);
      },
      std::move(done));
}

void ReferralCommands::Schedule(const Call& call, const fv1::ScheduleReferralRequest& req, Done done) {
  RunOnExisting(
      call, req.referral_id(), req.expected_version(),
      [&](ReferralStream& referral, dref::Side side, Decision& d) -> absl::Status {
        const auto& r = referral.state();
        switch (req.what_case()) {
          case fv1::ScheduleReferralRequest::kSessionId: {
            RETURN_IF_ERROR(domain::limits::Reference("session_id", req.session_id()));
            ASSIGN_OR_RETURN(auto session, directory_->view().Session(req.session_id()));
            if (!session) return absl::NotFoundError(absl::StrCat("no expert session ", req.session_id()));
            ASSIGN_OR_RETURN(auto locked, LockSessions({req.session_id()}, d));
            auto& bookings = locked[0];
            const bool resident = directory_->SignedResident(r->patient().value(), r->sender_institution_id());
            ASSIGN_OR_RETURN(auto booking, dref::BookExpertSession(r, side, session->session(), bookings, resident,
                                                                   Now(), options_.slots));
            command::Stream session_stream(kSessionKind, req.session_id(), std::optional(bookings), bookings.version());
            RETURN_IF_ERROR(session_stream.Add({booking.booked}));
            d.Add(std::move(session_stream));
            return referral.Add(booking.events);
          }
          case fv1::ScheduleReferralRequest::kBed: {
            RETURN_IF_ERROR(common::CheckTimestamp(req.bed().planned_admission_at(), "bed.planned_admission_at"));
            ASSIGN_OR_RETURN(
                auto events,
                dref::RequestBed(r, side, req.bed().ward_kind(),
                                 absl::FromUnixMillis(common::UnixMs(req.bed().planned_admission_at())), Now()));
            return referral.Add(events);
          }
          case fv1::ScheduleReferralRequest::kAppointmentAt: {
            RETURN_IF_ERROR(common::CheckTimestamp(req.appointment_at(), "appointment_at"));
            ASSIGN_OR_RETURN(auto events, dref::ScheduleAt(r, side, common::UnixMs(req.appointment_at()), Now()));
            return referral.Add(events);
          }
          default:
            return absl::InvalidArgumentError("schedule needs a session_id, a bed or an appointment_at");
        }
      },
      std::move(done));
}

absl::StatusOr<fv1::Referral> ReferralCommands::Open(const dref::Events& events, Decision& d) {
  if (events.empty() || !events[0].has_submitted()) return absl::InternalError("an opened referral starts submitted");
  ReferralStream next(kReferralKind, events[0].submitted().referral().referral_id(), std::nullopt, 0);
  RETURN_IF_ERROR(next.Add(events));
  fv1::Referral opened = *next.state();
  d.Add(std::move(next));
  return opened;
}

void ReferralCommands::Complete(const Call& call, const fv1::CompleteReferralRequest& req, Done done) {
  RunOnExisting(
      call, req.referral_id(), req.expected_version(),
      [&](ReferralStream& referral, dref::Side side, Decision& d) -> absl::Status {
        std::optional<fv1::Referral> downward;
        if (req.has_downward()) downward = req.downward();
        ASSIGN_OR_RETURN(auto outcome,
                         dref::CompleteAndHandOver(referral.state(), side, req.outcome_summary(), downward,
                                                   call.actor.subject, *directory_, Now(), options_.deadlines));
        if (!outcome.next.empty()) RETURN_IF_ERROR(Open(outcome.next, d).status());
        return referral.Add(outcome.events);
      },
      std::move(done));
}

void ReferralCommands::Reschedule(const Call& call, const fv1::RescheduleReferralRequest& req, Done done) {
  RunOnExisting(
      call, req.referral_id(), req.expected_version(),
      [&](ReferralStream& referral, dref::Side side, Decision& d) -> absl::Status {
        const auto& r = referral.state();
        const std::string reason = req.reason().empty() ? "rescheduled" : "rescheduled: " + req.reason();
        switch (req.what_case()) {
          case fv1::RescheduleReferralRequest::kSessionId: {
            RETURN_IF_ERROR(domain::limits::Reference("session_id", req.session_id()));
            ASSIGN_OR_RETURN(auto session, directory_->view().Session(req.session_id()));
            if (!session) return absl::NotFoundError(absl::StrCat("no expert session ", req.session_id()));
            const std::string old = dref::HeldSession(*r);
            std::vector<std::string> ids{req.session_id()};
            if (!old.empty() && old != req.session_id()) ids.push_back(old);
            ASSIGN_OR_RETURN(auto locked, LockSessions(ids, d));  // both at once: no lock cycle
            const bool resident = directory_->SignedResident(r->patient().value(), r->sender_institution_id());
            ASSIGN_OR_RETURN(auto booking, dref::BookExpertSession(r, side, session->session(), locked[0], resident,
                                                                   Now(), options_.slots, req.reason()));
            if (locked.size() > 1) RETURN_IF_ERROR(ReleaseSlot(locked[1], r->referral_id(), reason, d));
            command::Stream session_stream(kSessionKind, req.session_id(), std::optional(locked[0]),
                                           locked[0].version());
            RETURN_IF_ERROR(session_stream.Add({booking.booked}));
            d.Add(std::move(session_stream));
            return referral.Add(booking.events);
          }
          case fv1::RescheduleReferralRequest::kAppointmentAt: {
            if (!r) return absl::NotFoundError(absl::StrCat("no referral ", req.referral_id()));
            ASSIGN_OR_RETURN(const absl::Time at, common::FromTimestamp(req.appointment_at(), "appointment_at"));
            fv1::Schedule schedule;
            schedule.set_kind(r->requested_service());
            YILIAN_SET_MS(schedule, at, absl::ToUnixMillis(at));
            ASSIGN_OR_RETURN(auto events, dref::Reschedule(r, side, schedule, req.reason(), Now()));
            return referral.Add(events);
          }
          case fv1::RescheduleReferralRequest::kBed: {
            RETURN_IF_ERROR(common::CheckTimestamp(req.bed().planned_admission_at(), "bed.planned_admission_at"));
            ASSIGN_OR_RETURN(auto events,
                             dref::RescheduleBed(r, side, req.bed().ward_kind(),
                                                 absl::FromUnixMillis(common::UnixMs(req.bed().planned_admission_at())),
                                                 req.reason(), Now()));
            return referral.Add(events);
          }
          default:
            return absl::InvalidArgumentError("reschedule needs a session_id, an appointment_at or a bed");
        }
      },
      std::move(done));
}

absl::Status ReferralCommands::FollowSlot(const std::string& held, const fv1::Referral& after, Decision& d) {
  if (dref::HeldSession(after) == held) return absl::OkStatus();
  for (const auto& a : d.appends)  // the command wrote that session itself (a reschedule)
    if (a.aggregate_type == dref::kExpertSession && a.aggregate_id == held) return absl::OkStatus();
  ASSIGN_OR_RETURN(auto locked, LockSessions({held}, d));
  const std::string reason = absl::StrCat("referral ", dref::FhirStatus(after.status()),
                                          after.status_reason().empty() ? "" : ": ", after.status_reason());
  return ReleaseSlot(locked[0], after.referral_id(), reason, d);
}

absl::Status ReferralCommands::ReleaseSlot(const fv1::SessionBookings& bookings, const std::string& referral_id,
                                           const std::string& reason, Decision& d) {
  auto released = dref::ReleaseSlot(bookings, referral_id, reason, Now());
  if (!released) return absl::OkStatus();
  command::Stream session(kSessionKind, bookings.session_id(), std::optional(bookings), bookings.version());
  RETURN_IF_ERROR(session.Add({*released}));
  d.Add(std::move(session));
  return absl::OkStatus();
}

void ReferralCommands::Cancel(const Call& call, const fv1::CancelReferralRequest& req, Done done) {
  RunOnExisting(
      call, req.referral_id(), req.expected_version(),
      [&](ReferralStream& referral, dref::Side side, Decision& d) -> absl::Status {
        ASSIGN_OR_RETURN(auto events, dref::Cancel(referral.state(), side, req.reason(), Now()));
        return referral.Add(events);
      },
      std::move(done));
}

void ReferralCommands::Redirect(const Call& call, const fv1::RedirectReferralRequest& req, Done done) {
  RunOnExisting(
      call, req.referral_id(), req.expected_version(),
      [&](ReferralStream& referral, dref::Side side, Decision& d) -> absl::Status {
        ASSIGN_OR_RETURN(auto outcome,
                         dref::RedirectAndResubmit(referral.state(), side, req.to_institution_id(), req.to_capability(),
                                                   req.reason(), *directory_, Now(), options_.deadlines));
        ASSIGN_OR_RETURN(auto opened, Open(outcome.next, d));
        *d.reply.mutable_referral() = std::move(opened);  // the answer is the referral it opens
        d.reply.set_version(1);
        return referral.Add(outcome.events);
      },
      std::move(done));
}

absl::StatusOr<fv1::ReferralReply> ReferralCommands::RunAsService(const Call& call, const std::string& referral_id,
                                                                  SystemAct act) {
  return runner_.RunAndWait<fv1::ReferralReply>(call, {&referral_locks_, referral_id}, [&] {
    return DecideOn(
        call, referral_id, 0,
        [&](ReferralStream& referral, Decision&) -> absl::Status {
          ASSIGN_OR_RETURN(auto events, act(referral.state(), Now()));
          return referral.Add(events);
        },
        /*check_caller=*/false);
  });
}

}  // namespace yilian::referral
