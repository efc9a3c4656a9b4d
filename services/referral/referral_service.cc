#include "referral_service.h"

#include "absl/strings/str_cat.h"
#include "timeline.h"
#include "yilian/domain/referral/access.h"
#include "yilian/common/sha256.h"
#include "yilian/common/status_macros.h"
#include "yilian/host/grpc_status.h"
#include "yilian/privacy/identity.h"

namespace yilian::referral {

using common::Role;
using host::CorrelationId;
using host::ToGrpcStatus;
using Side = dr::Side;
using State = std::optional<fv1::Referral>;

namespace {

Change Just(dr::Events events) { return Change{.events = std::move(events)}; }

}  // namespace

absl::StatusOr<common::Principal> ReferralService::Caller(const grpc::ServerContextBase& ctx) const {
  ASSIGN_OR_RETURN(auto who, auth_->Authenticate(ctx));
  RETURN_IF_ERROR(dr::MayWorkReferrals(who));
  return who;
}

absl::StatusOr<Call> ReferralService::CallOf(const grpc::ServerContextBase& ctx, const google::protobuf::Message& req,
                                             const std::string& request_id) const {
  ASSIGN_OR_RETURN(auto who, Caller(ctx));
  if (request_id.empty() || request_id.size() > 128)
    return absl::InvalidArgumentError("request_id (the idempotency key) is required, 1..128 characters");
  Call call;
  call.idempotency_key = absl::StrCat("referral/", who.subject, std::string(1, '\0'), request_id);
  call.request_hash = eventstore::RequestFingerprint(req);
  call.actor = std::move(who);
  call.correlation_id = CorrelationId(ctx);
  return call;
}

absl::StatusOr<Side> ReferralService::SideOf(const common::Principal& who, const fv1::Referral& r) const {
  return dr::SideOf(who, r, *directory_);
}

void ReferralService::Decorate(fv1::ReferralReply& reply) const {
  reply.clear_exam_recognition();
  reply.clear_allowed_actions();
  for (auto& e : dr::RecogniseExams(reply.referral(), *directory_, writer_->Now()))
    *reply.add_exam_recognition() = std::move(e);
  for (auto& a : dr::AllowedActions(reply.referral().status())) reply.add_allowed_actions(std::move(a));
  const auto& r = reply.referral();
  if (r.has_sealed_identity())
    *reply.mutable_identity() = privacy::RevealIdentity(*vault_, r.patient(), r.sealed_identity(), true);
}

namespace {

grpc::ServerUnaryReactor* Finished(grpc::CallbackServerContext* ctx, const grpc::Status& status) {
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(status);
  return reactor;
}

}  // namespace

grpc::ServerUnaryReactor* ReferralService::Run(grpc::CallbackServerContext* ctx, const Call& call,
                                               const std::string& referral_id, int64_t expected_version,
                                               const ReferralWriter::Decide& decide, fv1::ReferralReply* out,
                                               Then then) {
  auto* reactor = ctx->DefaultReactor();
  // This call's reply is decorated on this thread, so the journal's completion thread only hands
  // it over; with `then` the answer is another row, decorated once it is read.
  ReferralWriter::Shape shape;
  if (!then) shape = [this](fv1::ReferralReply& reply) { Decorate(reply); };
  writer_->CommandAsync(
      call, referral_id, expected_version, decide,
      [this, reactor, out, then = std::move(then)](absl::StatusOr<fv1::ReferralReply> reply) mutable {
        if (reply.ok() && then) {
          reply = std::move(then)(*std::move(reply));
          if (reply.ok()) Decorate(*reply);
        }
        if (!reply.ok()) return reactor->Finish(ToGrpcStatus(reply.status()));
        *out = *std::move(reply);
        reactor->Finish(grpc::Status::OK);
      },
      std::move(shape));
  return reactor;
}

grpc::ServerUnaryReactor* ReferralService::Command(grpc::CallbackServerContext* ctx,
                                                   const google::protobuf::Message& req, const std::string& referral_id,
                                                   int64_t expected_version, const std::string& request_id,
                                                   const Act& act, fv1::ReferralReply* out, Then then) {
  auto call = CallOf(*ctx, req, request_id);
  if (!call.ok()) return Finished(ctx, ToGrpcStatus(call.status()));
  if (referral_id.empty()) return Finished(ctx, ToGrpcStatus(absl::InvalidArgumentError("referral_id is required")));
  return Run(
      ctx, *call, referral_id, expected_version,
      [&](const State& s) -> absl::StatusOr<Change> {
        if (!s) return absl::NotFoundError(absl::StrCat("no referral ", referral_id));
        ASSIGN_OR_RETURN(Side side, SideOf(call->actor, *s));
        return act(s, side);
      },
      out, std::move(then));
}

grpc::ServerUnaryReactor* ReferralService::Submit(grpc::CallbackServerContext* ctx,
                                                  const fv1::SubmitReferralRequest* req, fv1::ReferralReply* out) {
  auto call = CallOf(*ctx, *req, req->request_id());
  if (!call.ok()) return Finished(ctx, ToGrpcStatus(call.status()));
  fv1::Referral draft = req->referral();
  if (draft.sender_institution_id().empty()) draft.set_sender_institution_id(call->actor.institution_id);
  if (draft.sender_institution_id() != call->actor.institution_id)
    return Finished(ctx, ToGrpcStatus(absl::PermissionDeniedError(absl::StrCat(call->actor.subject, " acts for ",
                                                                               call->actor.institution_id, ", not for ",
                                                                               draft.sender_institution_id()))));
  if (draft.sender_clinician().empty()) draft.set_sender_clinician(call->actor.subject);
  if (draft.referral_id().empty()) draft.set_referral_id("ref-" + common::Sha256Hex(call->idempotency_key).substr(0, 20));
  draft.clear_sealed_identity();  // read-only: only what this service sealed is ever stored
  return Run(
      ctx, *call, draft.referral_id(), 0,
      [&](const State& s) -> absl::StatusOr<Change> {
        ASSIGN_OR_RETURN(auto events, dr::Submit(s, draft, *directory_, writer_->Now(), deadlines_));
        // The rules first, then the identity: a refused call makes no key.
        ASSIGN_OR_RETURN(auto sealed, privacy::SealIdentity(*vault_, draft.patient(), req->identity()));
        if (sealed)
          for (auto& e : events)
            if (e.has_submitted()) *e.mutable_submitted()->mutable_referral()->mutable_sealed_identity() = *sealed;
        return Just(std::move(events));
      },
      out);
}

grpc::ServerUnaryReactor* ReferralService::Acknowledge(grpc::CallbackServerContext* ctx,
                                                       const fv1::ReferralActionRequest* req, fv1::ReferralReply* out) {
  return Command(ctx, *req, req->referral_id(), req->expected_version(), req->request_id(),
                 [&](const State& s, Side side) -> absl::StatusOr<Change> {
                   ASSIGN_OR_RETURN(auto e, dr::Acknowledge(s, side, writer_->Now()));
                   return Just(std::move(e));
                 }, out);
}

grpc::ServerUnaryReactor* ReferralService::Accept(grpc::CallbackServerContext* ctx,
                                                  const fv1::ReferralActionRequest* req, fv1::ReferralReply* out) {
  return Command(ctx, *req, req->referral_id(), req->expected_version(), req->request_id(),
                 [&](const State& s, Side side) -> absl::StatusOr<Change> {
                   ASSIGN_OR_RETURN(auto e, dr::Accept(s, side, writer_->Now()));
                   return Just(std::move(e));
                 }, out);
}

grpc::ServerUnaryReactor* ReferralService::Reject(grpc::CallbackServerContext* ctx,
                                                  const fv1::RejectReferralRequest* req, fv1::ReferralReply* out) {
  return Command(ctx, *req, req->referral_id(), req->expected_version(), req->request_id(),
                 [&](const State& s, Side side) -> absl::StatusOr<Change> {
                   ASSIGN_OR_RETURN(auto e, dr::Reject(s, side, req->reason_code(), req->advice(), writer_->Now()));
                   return Just(std::move(e));
                 }, out);
}

grpc::ServerUnaryReactor* ReferralService::RequestInformation(grpc::CallbackServerContext* ctx,
                                                              const fv1::RequestInformationRequest* req,
                                                              fv1::ReferralReply* out) {
  return Command(ctx, *req, req->referral_id(), req->expected_version(), req->request_id(),
                 [&](const State& s, Side side) -> absl::StatusOr<Change> {
                   ASSIGN_OR_RETURN(auto e, dr::RequestInformation(s, side, req->question(), writer_->Now()));
                   return Just(std::move(e));
                 }, out);
}

grpc::ServerUnaryReactor* ReferralService::SupplyInformation(grpc::CallbackServerContext* ctx,
                                                             const fv1::SupplyInformationRequest* req,
                                                             fv1::ReferralReply* out) {
  std::vector<fv1::ExamResultRef> results(req->exam_results().begin(), req->exam_results().end());
  return Command(ctx, *req, req->referral_id(), req->expected_version(), req->request_id(),
                 [&](const State& s, Side side) -> absl::StatusOr<Change> {
                   ASSIGN_OR_RETURN(auto e, dr::SupplyInformation(s, side, req->answer(), results, writer_->Now()));
                   return Just(std::move(e));
                 }, out);
}

absl::StatusOr<Change> ReferralService::BookSession(const fv1::Referral& r, Side side, const std::string& session_id) {
  ASSIGN_OR_RETURN(auto session, directory_->view().Session(session_id));
  if (!session) return absl::NotFoundError(absl::StrCat("no expert session ", session_id));
  const auto& desc = session->session();
  fv1::Schedule schedule;
  schedule.set_kind(fv1::EXPERT_OUTPATIENT);
  schedule.set_session_id(session_id);
  schedule.set_at_ms(absl::ToUnixMillis(dr::SessionStart(desc)));
  const absl::Time now = writer_->Now();
  ASSIGN_OR_RETURN(auto events, dr::ScheduleAppointment(r, side, schedule, now));  // side and state first
  Change change;
  ASSIGN_OR_RETURN(auto bookings, writer_->LockSession(session_id, change));
  const bool resident = directory_->SignedResident(r.patient().value(), r.sender_institution_id());
  ASSIGN_OR_RETURN(auto booked, dr::BookSlot(desc, bookings, r, resident, now, slots_));
  events[0].mutable_scheduled()->mutable_schedule()->set_reserved_slot(booked.booked().booking().reserved());
  change.events = std::move(events);
  change.also.push_back(ReferralWriter::SessionAppend(bookings, {booked}));
  return change;
}

grpc::ServerUnaryReactor* ReferralService::Schedule(grpc::CallbackServerContext* ctx,
                                                    const fv1::ScheduleReferralRequest* req, fv1::ReferralReply* out) {
  return Command(ctx, *req, req->referral_id(), req->expected_version(), req->request_id(),
                 [&](const State& s, Side side) -> absl::StatusOr<Change> {
                   const absl::Time now = writer_->Now();
                   switch (req->what_case()) {
                     case fv1::ScheduleReferralRequest::kSessionId: return BookSession(*s, side, req->session_id());
                     case fv1::ScheduleReferralRequest::kBed: {
                       ASSIGN_OR_RETURN(auto e, dr::RequestBed(s, side, req->bed().ward_kind(),
                                                               absl::FromUnixMillis(req->bed().planned_admission_ms()),
                                                               now));
                       return Just(std::move(e));
                     }
                     case fv1::ScheduleReferralRequest::kAppointmentAtMs: {
                       const auto kind = s->requested_service();
                       if (kind != fv1::EXAMINATION && kind != fv1::TELE_CONSULTATION)
                         return absl::InvalidArgumentError(
                             "an appointment time schedules an examination or tele-consultation; expert "
                             "outpatient referrals book a session_id, inpatient ones ask a bed");
                       if (req->appointment_at_ms() <= absl::ToUnixMillis(now))
                         return absl::InvalidArgumentError("the appointment must be in the future");
                       fv1::Schedule schedule;
                       schedule.set_kind(kind);
                       schedule.set_at_ms(req->appointment_at_ms());
                       ASSIGN_OR_RETURN(auto e, dr::ScheduleAppointment(s, side, schedule, now));
                       return Just(std::move(e));
                     }
                     default:
                       return absl::InvalidArgumentError("schedule needs a session_id, a bed or an appointment_at_ms");
                   }
                 }, out);
}

grpc::ServerUnaryReactor* ReferralService::RecordArrival(grpc::CallbackServerContext* ctx,
                                                         const fv1::ReferralActionRequest* req,
                                                         fv1::ReferralReply* out) {
  return Command(ctx, *req, req->referral_id(), req->expected_version(), req->request_id(),
                 [&](const State& s, Side side) -> absl::StatusOr<Change> {
                   ASSIGN_OR_RETURN(auto e, dr::RecordArrival(s, side, writer_->Now()));
                   return Just(std::move(e));
                 }, out);
}

grpc::ServerUnaryReactor* ReferralService::Complete(grpc::CallbackServerContext* ctx,
                                                    const fv1::CompleteReferralRequest* req, fv1::ReferralReply* out) {
  auto caller = Caller(*ctx);
  const std::string subject = caller.ok() ? caller->subject : "";
  return Command(ctx, *req, req->referral_id(), req->expected_version(), req->request_id(),
                 [&](const State& s, Side side) -> absl::StatusOr<Change> {
                   const absl::Time now = writer_->Now();
                   Change change;
                   std::string down_id;
                   if (req->has_downward()) {
                     RETURN_IF_ERROR(dr::Complete(s, side, req->outcome_summary(), "", now).status());  // checks first
                     fv1::Referral d = req->downward();
                     down_id = s->referral_id() + ".down";
                     d.set_referral_id(down_id);
                     d.set_direction(fv1::DOWNWARD);
                     d.set_sender_institution_id(s->receiver_institution_id());
                     d.set_sender_clinician(subject);
                     *d.mutable_patient() = s->patient();
                     *d.mutable_sealed_identity() = s->sealed_identity();  // the same person, cared for onwards
                     d.set_linked_from(s->referral_id());
                     if (d.priority() == fv1::PRIORITY_UNSPECIFIED) d.set_priority(fv1::ROUTINE);
                     if (d.reason().empty()) d.set_reason(absl::StrCat("continuing care after referral ", s->referral_id()));
                     if (d.diagnosis_codes().empty()) *d.mutable_diagnosis_codes() = s->diagnosis_codes();
                     auto events = dr::Submit(std::nullopt, d, *directory_, now, deadlines_);
                     if (!events.ok())
                       return absl::Status(events.status().code(),
                                           absl::StrCat("downward referral: ", events.status().message()));
                     ReferralWriter::AddReferral(*events, change);
                   }
                   ASSIGN_OR_RETURN(change.events, dr::Complete(s, side, req->outcome_summary(), down_id, now));
                   return change;
                 }, out);
}

grpc::ServerUnaryReactor* ReferralService::Cancel(grpc::CallbackServerContext* ctx,
                                                  const fv1::CancelReferralRequest* req, fv1::ReferralReply* out) {
  return Command(ctx, *req, req->referral_id(), req->expected_version(), req->request_id(),
                 [&](const State& s, Side side) -> absl::StatusOr<Change> {
                   ASSIGN_OR_RETURN(auto events, dr::Cancel(s, side, req->reason(), writer_->Now()));
                   Change change;
                   RETURN_IF_ERROR(writer_->ReleaseSlot(*s, "referral cancelled: " + req->reason(), change));
                   change.events = std::move(events);
                   return change;
                 }, out);
}

grpc::ServerUnaryReactor* ReferralService::Redirect(grpc::CallbackServerContext* ctx,
                                                    const fv1::RedirectReferralRequest* req, fv1::ReferralReply* out) {
  return Command(
      ctx, *req, req->referral_id(), req->expected_version(), req->request_id(),
      [&](const State& s, Side side) -> absl::StatusOr<Change> {
        const absl::Time now = writer_->Now();
        if (req->to_institution_id().empty() == (req->to_capability() == registry::v1::CAPABILITY_UNSPECIFIED))
          return absl::InvalidArgumentError("redirect to one of to_institution_id or to_capability");
        fv1::Referral d = *s;  // the same request, to another receiver
        d.clear_status();
        d.clear_submitted_at_ms();
        d.clear_respond_by_ms();
        d.clear_schedule_by_ms();
        d.clear_escalation_level();
        d.clear_schedule();
        d.clear_status_reason();
        d.clear_advice();
        d.clear_outcome_summary();
        d.clear_linked_to();
        d.clear_routing();
        d.set_referral_id(s->referral_id() + ".redir");
        d.set_linked_from(s->referral_id());
        d.set_receiver_institution_id(req->to_institution_id());
        if (req->to_capability() != registry::v1::CAPABILITY_UNSPECIFIED)
          d.mutable_routing()->set_capability(req->to_capability());
        auto next = dr::Submit(std::nullopt, d, *directory_, now, deadlines_);
        if (!next.ok())
          return absl::Status(next.status().code(), absl::StrCat("redirected referral: ", next.status().message()));
        const std::string to = (*next)[0].submitted().referral().receiver_institution_id();
        ASSIGN_OR_RETURN(auto events, dr::Redirect(s, side, d.referral_id(), to, req->reason(), now));
        Change change;
        RETURN_IF_ERROR(writer_->ReleaseSlot(*s, "referral redirected: " + req->reason(), change));
        ReferralWriter::AddReferral(*next, change);
        change.events = std::move(events);
        return change;
      },
      out,
      // The answer is the new referral, written in the same transaction.
      [this](fv1::ReferralReply ended) -> absl::StatusOr<fv1::ReferralReply> {
        ASSIGN_OR_RETURN(auto row, view_->Referral(ended.referral().linked_to()));
        if (!row) return absl::InternalError("the redirected referral is not in the projection");
        return *std::move(row);
      });
}

grpc::ServerUnaryReactor* ReferralService::GetReferral(grpc::CallbackServerContext* ctx,
                                                       const fv1::GetReferralRequest* req,
                                                       fv1::GetReferralResponse* out) {
  return Finished(ctx, Get(*ctx, *req, out));
}

grpc::Status ReferralService::Get(const grpc::ServerContextBase& ctx, const fv1::GetReferralRequest& req,
                                  fv1::GetReferralResponse* out) const {
  auto who = Caller(ctx);
  if (!who.ok()) return ToGrpcStatus(who.status());
  auto row = view_->Referral(req.referral_id());
  if (!row.ok()) return ToGrpcStatus(row.status());
  if (!*row) return ToGrpcStatus(absl::NotFoundError(absl::StrCat("no referral ", req.referral_id())));
  if (auto side = SideOf(*who, (*row)->referral()); !side.ok()) return ToGrpcStatus(side.status());
  *out->mutable_referral() = std::move(**row);
  Decorate(*out->mutable_referral());
  auto timeline = Timeline(*journal_, req.referral_id());
  if (!timeline.ok()) return ToGrpcStatus(timeline.status());
  for (auto& e : *timeline) *out->add_timeline() = std::move(e);
  return grpc::Status::OK;
}

grpc::Status ReferralService::List(const grpc::ServerContextBase& ctx, const fv1::ListWorklistRequest& req,
                                   const char* list, fv1::ListWorklistResponse* out) const {
  auto who = Caller(ctx);
  if (!who.ok()) return ToGrpcStatus(who.status());
  const std::string inst = req.institution_id().empty() ? who->institution_id : req.institution_id();
  if (inst != who->institution_id)
    return ToGrpcStatus(absl::PermissionDeniedError(absl::StrCat(who->subject, " may list only ", who->institution_id)));
  if (!fv1::Status_IsValid(req.status())) return ToGrpcStatus(absl::InvalidArgumentError("unknown status"));
  auto page = view_->Worklist(list, inst, req.status(), req.page());
  if (!page.ok()) return ToGrpcStatus(page.status());
  *out = std::move(*page);
  for (auto& r : *out->mutable_referrals()) Decorate(r);
  return grpc::Status::OK;
}

grpc::ServerUnaryReactor* ReferralService::ListIncoming(grpc::CallbackServerContext* ctx,
                                                        const fv1::ListWorklistRequest* req,
                                                        fv1::ListWorklistResponse* out) {
  return Finished(ctx, List(*ctx, *req, "in", out));
}

grpc::ServerUnaryReactor* ReferralService::ListOutgoing(grpc::CallbackServerContext* ctx,
                                                        const fv1::ListWorklistRequest* req,
                                                        fv1::ListWorklistResponse* out) {
  return Finished(ctx, List(*ctx, *req, "out", out));
}

grpc::ServerUnaryReactor* ReferralService::ListAvailableSlots(grpc::CallbackServerContext* ctx,
                                                              const fv1::ListAvailableSlotsRequest* req,
                                                              fv1::ListAvailableSlotsResponse* out) {
  return Finished(ctx, Slots(*ctx, *req, out));
}

grpc::Status ReferralService::Slots(const grpc::ServerContextBase& ctx, const fv1::ListAvailableSlotsRequest& req,
                                    fv1::ListAvailableSlotsResponse* out) const {
  auto who = Caller(ctx);
  if (!who.ok()) return ToGrpcStatus(who.status());
  if (req.host_institution_id().empty())
    return ToGrpcStatus(absl::InvalidArgumentError("host_institution_id is required"));
  registry::v1::ListExpertSessionsRequest q;
  q.set_institution_id(req.host_institution_id());
  q.set_from_date(req.from_date());
  q.set_to_date(req.to_date());
  *q.mutable_page() = req.page();
  auto sessions = directory_->view().ListSessions(q);
  if (!sessions.ok()) return ToGrpcStatus(sessions.status());
  const bool resident = directory_->SignedResident(req.patient().value(), who->institution_id);
  const absl::Time now = writer_->Now();
  for (const auto& s : sessions->sessions()) {
    auto bookings = view_->Bookings(s.session().session_id());
    if (!bookings.ok()) return ToGrpcStatus(bookings.status());
    auto* a = out->add_sessions();
    *a->mutable_session() = s.session();
    *a->mutable_availability() = dr::Availability(s.session(), *bookings, who->institution_id, resident, now, slots_);
  }
  *out->mutable_page() = sessions->page();
  return grpc::Status::OK;
}

}  // namespace yilian::referral
