#include "greenchannel_service.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "yilian/common/oneof_event.h"
#include "yilian/domain/greenchannel/access.h"
#include "yilian/domain/registry/registry.h"
#include "yilian/host/call_deadline.h"
#include "yilian/host/grpc_status.h"
#include "yilian/privacy/identity.h"

namespace yilian::greenchannel {

namespace dg = ::yilian::domain::greenchannel;
using host::ToGrpcStatus;

namespace {

template <typename Reply>
grpc::Status Answer(absl::StatusOr<Reply> r, Reply* out) {
  if (!r.ok()) return ToGrpcStatus(r.status());
  *out = std::move(*r);
  return grpc::Status::OK;
}

}  // namespace

absl::StatusOr<Call> GreenChannelService::CallOf(const grpc::ServerContext& ctx, const google::protobuf::Message& req,
                                                 const std::string& request_id) const {
  auto who = auth_->Authenticate(ctx);
  if (!who.ok()) return who.status();
  if (request_id.size() > 128) return absl::InvalidArgumentError("request_id is longer than 128");
  Call call;
  call.actor = *who;
  call.correlation_id = host::CorrelationId(ctx);
  if (!request_id.empty()) {
    // NUL cannot occur in a subject, so two callers' keys never collide.
    call.idempotency_key = absl::StrCat("gc/", who->subject, std::string(1, '\0'), request_id);
    call.request_hash = eventstore::RequestFingerprint(req);
  }
  return call;
}

void GreenChannelService::ShowIdentity(const common::Principal& who, gv1::CaseReply& reply) const {
  const auto& c = reply.emergency_case();
  if (!c.has_sealed_identity()) return;  // nothing recorded: the reply says nothing of it
  *reply.mutable_identity() =
      privacy::RevealIdentity(*vault_, c.patient(), c.sealed_identity(), dg::MaySeeIdentity(who, c));
}

absl::StatusOr<gv1::CaseReply> GreenChannelService::CaseFor(const common::Principal& who, const std::string& case_id,
                                                            bool read) const {
  // The role first (docs/ROLES.md): a caller refused learns nothing from the request.
  if (auto s = dg::MayReachCases(who, read); !s.ok()) return s;
  if (case_id.empty()) return absl::InvalidArgumentError("case_id is required");
  auto row = view_->Case(case_id);
  if (!row.ok()) return row.status();
  if (!*row) return absl::NotFoundError(absl::StrCat("no emergency case \"", case_id, "\""));
  if (auto s = dg::MayReachCase(who, (*row)->emergency_case(), read); !s.ok()) return s;
  return **row;
}

grpc::Status GreenChannelService::OpenCase(grpc::ServerContext* ctx, const gv1::OpenCaseRequest* req,
                                           gv1::CaseReply* out) {
  auto call = CallOf(*ctx, *req, req->request_id());
  if (!call.ok()) return ToGrpcStatus(call.status());
  if (auto s = dg::MayOpenCase(call->actor); !s.ok()) return ToGrpcStatus(s);
  if (!req->patient().value().empty())
    if (auto s = domain::registry::CheckPatientRef(req->patient()); !s.ok()) return ToGrpcStatus(s);
  auto sealed = privacy::SealIdentity(*vault_, req->patient(), req->identity());
  if (!sealed.ok()) return ToGrpcStatus(sealed.status());
  auto reply = writer_->OpenCase(*call, *req, *sealed);
  if (reply.ok()) ShowIdentity(call->actor, *reply);
  return Answer(std::move(reply), out);
}

grpc::Status GreenChannelService::CaseCommand(grpc::ServerContext* ctx, const google::protobuf::Message& req,
                                              const std::string& request_id, const std::string& case_id,
                                              gv1::CaseReply* out,
                                              const std::function<absl::StatusOr<gv1::CaseReply>(const Call&)>& run) {
  auto call = CallOf(*ctx, req, request_id);
  if (!call.ok()) return ToGrpcStatus(call.status());
  // A retry is answered first: the case may have moved out of the caller's reach since.
  auto seen = writer_->Answered(*call, out);
  if (!seen.ok()) return ToGrpcStatus(seen.status());
  if (*seen) {
    ShowIdentity(call->actor, *out);
    return grpc::Status::OK;
  }
  if (auto c = CaseFor(call->actor, case_id, false); !c.ok()) return ToGrpcStatus(c.status());
  auto reply = run(*call);
  if (reply.ok()) ShowIdentity(call->actor, *reply);
  return Answer(std::move(reply), out);
}

grpc::Status GreenChannelService::RedirectCase(grpc::ServerContext* ctx, const gv1::RedirectCaseRequest* req,
                                               gv1::CaseReply* out) {
  return CaseCommand(ctx, *req, req->request_id(), req->case_id(), out, [&](const Call& call) {
    return writer_->RedirectCase(call, req->case_id(), req->expected_version(), req->reason());
  });
}

grpc::Status GreenChannelService::RecordMilestone(grpc::ServerContext* ctx, const gv1::RecordMilestoneRequest* req,
                                                  gv1::CaseReply* out) {
  return CaseCommand(ctx, *req, req->request_id(), req->case_id(), out,
                     [&](const Call& call) { return writer_->RecordMilestone(call, *req); });
}

grpc::Status GreenChannelService::CloseCase(grpc::ServerContext* ctx, const gv1::CloseCaseRequest* req,
                                            gv1::CaseReply* out) {
  return CaseCommand(ctx, *req, req->request_id(), req->case_id(), out,
                     [&](const Call& call) { return writer_->CloseCase(call, *req); });
}

grpc::Status GreenChannelService::GetCase(grpc::ServerContext* ctx, const gv1::GetCaseRequest* req,
                                          gv1::CaseDetail* out) {
  auto who = auth_->Authenticate(*ctx);
  if (!who.ok()) return ToGrpcStatus(who.status());
  auto c = CaseFor(*who, req->case_id(), true);
  if (!c.ok()) return ToGrpcStatus(c.status());
  *out->mutable_current() = *c;
  out->mutable_current()->set_hold_expires_at_ms(view_->HoldExpiry(c->emergency_case()));
  ShowIdentity(*who, *out->mutable_current());
  absl::Status bad;
  auto n = journal_->ReadAggregate(kCase, req->case_id(), 1, [&](const eventstore::JournalEntry& entry) {
    auto env = eventstore::ParseEnvelope(entry.envelope);
    if (!env.ok()) {
      bad = env.status();
      return false;
    }
    auto* t = out->add_timeline();
    t->set_aggregate_version(env->aggregate_version());
    t->set_event_type(env->event_type());
    t->set_recorded_at_ms(env->recorded_at().seconds() * 1000 + env->recorded_at().nanos() / 1000000);
    t->set_actor(env->actor().subject());
    if (auto s = common::UnpackOneof(*env, t->mutable_event()); !s.ok()) bad = s;
    return bad.ok();
  });
  if (!n.ok()) return ToGrpcStatus(n.status());
  return ToGrpcStatus(bad);
}

grpc::Status GreenChannelService::ListOpenCases(grpc::ServerContext* ctx, const gv1::ListOpenCasesRequest* req,
                                                gv1::ListCasesResponse* out) {
  auto who = auth_->Authenticate(*ctx);
  if (!who.ok()) return ToGrpcStatus(who.status());
  if (auto s = dg::MayListOpenCases(*who); !s.ok()) return ToGrpcStatus(s);
  if (req->dispatch_centre().empty()) return ToGrpcStatus(absl::InvalidArgumentError("dispatch_centre is required"));
  const std::string listing = absl::StrCat("open/", req->dispatch_centre(), "/");  // tokens name the last case
  auto page = registry_model::PageOf(req->page(), listing);
  if (!page.ok()) return ToGrpcStatus(page.status());
  const std::string after = page->after.empty() ? "" : page->after.substr(listing.size());
  auto s = view_->ForEachOpenCase(req->dispatch_centre(), after, [&](const gv1::CaseReply& c) {
    if (!page->Room(out->mutable_page())) return false;
    auto* r = out->add_cases();
    *r = c;
    r->set_hold_expires_at_ms(view_->HoldExpiry(c.emergency_case()));
    ShowIdentity(*who, *r);
    page->Take(listing + c.emergency_case().case_id());
    return true;
  });
  return ToGrpcStatus(s);
}

grpc::Status GreenChannelService::Discharge(grpc::ServerContext* ctx, const gv1::DischargeRequest* req,
                                            gv1::WardStatus* out) {
  auto call = CallOf(*ctx, *req, req->request_id());
  if (!call.ok()) return ToGrpcStatus(call.status());
  if (auto s = dg::MayDischarge(call->actor, req->institution_id()); !s.ok()) return ToGrpcStatus(s);
  return Answer(writer_->Discharge(*call, *req), out);
}

absl::StatusOr<std::function<bool(const gv1::WardStatus&)>> GreenChannelService::BoardFilter(
    const gv1::BedBoardRequest& req) const {
  std::set<std::string> members;
  if (!req.consortium_id().empty()) {
    auto c = registry_->Consortium(req.consortium_id());
    if (!c.ok()) return c.status();
    if (!*c) return absl::NotFoundError(absl::StrCat("no consortium \"", req.consortium_id(), "\""));
    members.insert((*c)->consortium().member_ids().begin(), (*c)->consortium().member_ids().end());
  }
  if (req.ward_kind() != registry::v1::WARD_KIND_UNSPECIFIED && !registry::v1::WardKind_IsValid(req.ward_kind()))
    return absl::InvalidArgumentError(absl::StrCat("unknown ward_kind ", req.ward_kind()));
  const bool by_consortium = !req.consortium_id().empty();
  return std::function<bool(const gv1::WardStatus&)>(
      [members = std::move(members), by_consortium, inst = req.institution_id(), kind = req.ward_kind()](
          const gv1::WardStatus& w) {
        if (by_consortium && !members.count(w.board().institution_id())) return false;
        if (!inst.empty() && w.board().institution_id() != inst) return false;
        return kind == registry::v1::WARD_KIND_UNSPECIFIED || w.board().kind() == kind;
      });
}

grpc::Status GreenChannelService::GetBedBoard(grpc::ServerContext* ctx, const gv1::BedBoardRequest* req,
                                              gv1::BedBoard* out) {
  auto who = auth_->Authenticate(*ctx);
  if (!who.ok()) return ToGrpcStatus(who.status());
  auto keep = BoardFilter(*req);
  if (!keep.ok()) return ToGrpcStatus(keep.status());
  out->set_as_of_sequence(journal_->head().sequence);
  return ToGrpcStatus(view_->ForEachWard(req->institution_id(), [&](const gv1::WardStatus& w) {
    if ((*keep)(w)) *out->add_wards() = w;
    return true;
  }));
}

grpc::Status GreenChannelService::WatchBedBoard(grpc::ServerContext* ctx, const gv1::BedBoardRequest* req,
                                                grpc::ServerWriter<gv1::WardStatus>* writer) {
  auto who = auth_->Authenticate(*ctx);
  if (!who.ok()) return ToGrpcStatus(who.status());
  auto keep = BoardFilter(*req);
  if (!keep.ok()) return ToGrpcStatus(keep.status());
  const absl::Time deadline = host::CallDeadline(*ctx);
  // The head is taken before the snapshot: a change in between is sent twice, never missed.
  int64_t after = journal_->head().sequence;
  bool open = true;
  auto s = view_->ForEachWard(req->institution_id(), [&](const gv1::WardStatus& w) {
    if ((*keep)(w)) open = writer->Write(w);
    return open;
  });
  if (!s.ok()) return ToGrpcStatus(s);
  while (open && !ctx->IsCancelled() && !stopping_) {
    if (absl::Now() >= deadline) return host::DeadlineReached();
    const int64_t head = journal_->WaitForHead(after, std::min(absl::Milliseconds(500), deadline - absl::Now()));
    if (head <= after) continue;
    std::set<std::string> changed;
    auto n = journal_->Read(after + 1, head - after, [&](const eventstore::JournalEntry& e) {
      auto env = eventstore::ParseEnvelope(e.envelope);
      if (env.ok() && env->aggregate_type() == kWard) changed.insert(env->aggregate_id());
      return true;
    });
    if (!n.ok()) return ToGrpcStatus(n.status());
    after = head;
    for (const auto& key : changed) {
      auto w = view_->Ward(key);
      if (!w.ok()) return ToGrpcStatus(w.status());
      if (*w && (*keep)(**w) && !(open = writer->Write(**w))) break;
    }
  }
  return grpc::Status::OK;
}

grpc::Status GreenChannelService::GetBedRequest(grpc::ServerContext* ctx, const gv1::GetBedRequestRequest* req,
                                                gv1::BedRequestReply* out) {
  auto who = auth_->Authenticate(*ctx);
  if (!who.ok()) return ToGrpcStatus(who.status());
  if (auto s = dg::MayReadBedRequests(*who); !s.ok()) return ToGrpcStatus(s);
  if (req->request_id().empty()) return ToGrpcStatus(absl::InvalidArgumentError("request_id is required"));
  auto row = view_->Request(req->request_id());
  if (!row.ok()) return ToGrpcStatus(row.status());
  if (!*row) return ToGrpcStatus(absl::NotFoundError(absl::StrCat("no bed request \"", req->request_id(), "\"")));
  if (auto s = dg::MayReadBedRequest(*who, (*row)->request().institution_id()); !s.ok()) return ToGrpcStatus(s);
  *out = **row;
  return grpc::Status::OK;
}

grpc::Status GreenChannelService::GetDoorToTreatment(grpc::ServerContext* ctx, const gv1::DoorToTreatmentRequest* req,
                                                     gv1::DoorToTreatmentReport* out) {
  auto who = auth_->Authenticate(*ctx);
  if (!who.ok()) return ToGrpcStatus(who.status());
  auto scope = dg::ClocksScope(*who, req->institution_id());
  if (!scope.ok()) return ToGrpcStatus(scope.status());
  const std::string only = *scope;
  if (req->to_ms() != 0 && req->to_ms() <= req->from_ms())
    return ToGrpcStatus(absl::InvalidArgumentError("to_ms must be after from_ms"));
  domain::greenchannel::TreatmentClocksTally tally;
  auto s = view_->ForEachCase([&](const gv1::CaseReply& r) {
    const auto& c = r.emergency_case();
    if (!only.empty() && c.placement().institution_id() != only) return true;
    if (c.first_medical_contact_ms() < req->from_ms() || (req->to_ms() != 0 && c.first_medical_contact_ms() >= req->to_ms()))
      return true;
    tally.Add(c);
    return true;
  });
  if (!s.ok()) return ToGrpcStatus(s);
  for (auto& row : tally.Rows()) *out->add_rows() = std::move(row);
  return grpc::Status::OK;
}

}  // namespace yilian::greenchannel
