#include "bed_commands.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "yilian/common/status_macros.h"
#include "yilian/common/timestamp.h"
#include "yilian/domain/greenchannel/bed_board.h"
#include "yilian/domain/greenchannel/bed_request.h"
#include "yilian/domain/limits/limits.h"

namespace yilian::greenchannel {

namespace dgc = ::yilian::domain::greenchannel;
namespace gv1 = ::yilian::greenchannel::v1;
namespace fv1 = ::yilian::referral::v1;
using command::Call;

namespace {

gv1::BedRequestReply RequestReply(const RequestStream& r) {
  gv1::BedRequestReply reply;
  *reply.mutable_request() = *r.state();
  reply.set_version(r.version());
  return reply;
}

}  // namespace

// ---- wards ----

absl::Status BedCommands::SetCapacity(const Call& call, const registry::v1::Ward& ward) {
  const std::string key = WardKey(ward.institution_id(), ward.ward_id());
  return board_->runner()
      .RunAndWait<gv1::WardStatus>(
          call, {&board_->ward_locks(), key},
          [&]() -> absl::StatusOr<command::Decision<gv1::WardStatus>> {
            ASSIGN_OR_RETURN(auto w, board_->LoadWard(key));
            gv1::WardCapacitySet cmd;
            cmd.set_institution_id(ward.institution_id());
            cmd.set_ward_id(ward.ward_id());
            cmd.set_kind(ward.kind());
            cmd.set_capacity(ward.capacity());
            cmd.set_emergency_reserved(ward.emergency_reserved());
            ASSIGN_OR_RETURN(auto events, dgc::SetCapacity(w.state(), cmd));
            RETURN_IF_ERROR(w.Add(events));
            command::Decision<gv1::WardStatus> d;
            if (w.state()) d.reply = StatusOf(*w.state(), w.version());
            std::vector<WardStream> wards;
            wards.push_back(std::move(w));
            board_->Queue(d, std::move(wards), {});
            return d;
          },
          nullptr, board_->options().max_attempts)
      .status();
}

absl::StatusOr<gv1::WardStatus> BedCommands::Discharge(const Call& call, const gv1::DischargeRequest& req) {
  RETURN_IF_ERROR(domain::limits::Reference("institution_id", req.institution_id()));
  RETURN_IF_ERROR(domain::limits::Reference("ward_id", req.ward_id(), /*required=*/false));
  RETURN_IF_ERROR(domain::limits::Reference("admission_id", req.admission_id()));
  std::string ward_id = req.ward_id();
  if (ward_id.empty()) {  // the ward the admission occupies, as the replies that admit name only the admission
    RETURN_IF_ERROR(board_->view().ForEachWard(req.institution_id(), [&](const gv1::WardStatus& w) {
      const auto& a = w.board().admissions();
      if (std::find(a.begin(), a.end(), req.admission_id()) == a.end()) return true;
      ward_id = w.board().ward_id();
      return false;
    }));
    if (ward_id.empty())
      return absl::NotFoundError(
          absl::StrCat("admission ", req.admission_id(), " occupies no bed at ", req.institution_id()));
  }
  const std::string key = WardKey(req.institution_id(), ward_id);
  return board_->runner().RunAndWait<gv1::WardStatus>(
      call, {&board_->ward_locks(), key},
      [&]() -> absl::StatusOr<command::Decision<gv1::WardStatus>> {
        ASSIGN_OR_RETURN(auto w, board_->LoadWard(key));
        if (!w.state()) return absl::NotFoundError(absl::StrCat("ward ", key, " is not on the bed board"));
        ASSIGN_OR_RETURN(auto events, dgc::Vacate(w.state(), req.admission_id(), req.reason()));
        RETURN_IF_ERROR(w.Add(events));
        command::Decision<gv1::WardStatus> d;
        d.reply = StatusOf(*w.state(), w.version());
        std::vector<WardStream> wards;
        wards.push_back(std::move(w));
        board_->Queue(d, std::move(wards), {});
        return d;
      },
      nullptr, board_->options().max_attempts);
}

// ---- referrals' bed requests ----

absl::Status BedCommands::OnRequest(const Call& call, const std::string& request_id,
                                    absl::FunctionRef<absl::StatusOr<RequestDecision>()> decide) {
  auto r = board_->runner().RunAndWait<gv1::BedRequestReply>(call, {&board_->request_locks(), request_id}, decide,
                                                             nullptr, board_->options().max_attempts);
  // The inbox's key answered another event (a redelivery that changed): the first stands.
  return absl::IsAlreadyExists(r.status()) ? absl::OkStatus() : r.status();
}

absl::StatusOr<BedCommands::RequestDecision> BedCommands::DecideAnswer(const fv1::BedRequested& req) {
  ASSIGN_OR_RETURN(auto known, board_->view().Request(req.request_id()));
  if (known) return RequestDecision{};  // answered already (a redelivery)
  const int64_t now = board_->NowMs();
  gv1::BedRequest answer;
  answer.set_request_id(req.request_id());
  answer.set_referral_id(req.referral_id());
  answer.set_institution_id(req.institution_id());
  answer.set_ward_kind(req.ward_kind());
  const int64_t expires = common::UnixMs(req.hold_until()) > 0
                              ? common::UnixMs(req.hold_until())
                              : now + absl::ToInt64Milliseconds(board_->options().referral_hold);
  auto decline = [&](std::string reason) -> absl::StatusOr<RequestDecision> {
    answer.set_reason(std::move(reason));
    ASSIGN_OR_RETURN(auto events, dgc::AnswerBedRequest(std::nullopt, answer));
    RequestStream r(kRequestKind, req.request_id(), std::nullopt, 0);
    RETURN_IF_ERROR(r.Add(events));
    RequestDecision d;
    d.reply = RequestReply(r);
    d.Add(std::move(r));
    return d;
  };
  if (expires <= now) return decline("the planned admission time has passed");
  // Candidate wards of the kind, most free general beds first.
  std::vector<gv1::WardStatus> wards;
  RETURN_IF_ERROR(board_->view().ForEachWard(req.institution_id(), [&](const gv1::WardStatus& w) {
    if (w.board().kind() == req.ward_kind() && (req.ward_id().empty() || w.board().ward_id() == req.ward_id()))
      wards.push_back(w);
    return true;
  }));
  if (wards.empty())
    return decline(
        absl::StrCat(req.institution_id(), " has no ",
                     req.ward_id().empty() ? registry::v1::WardKind_Name(req.ward_kind()) : "ward " + req.ward_id(),
                     " on the bed board"));
  std::stable_sort(wards.begin(), wards.end(),
                   [](const auto& a, const auto& b) { return a.free_general() > b.free_general(); });
  std::string why;
  for (const auto& candidate : wards) {
    const std::string key = WardKey(req.institution_id(), candidate.board().ward_id());
    auto locks = board_->ward_locks().LockAll({key});
    ASSIGN_OR_RETURN(auto w, board_->LoadWard(key));
    const gv1::BedHold hold = dgc::ReferralHold(req.request_id(), req.referral_id(), now, expires);
    auto held = dgc::PlaceHold(w.state(), hold);
    if (absl::IsFailedPrecondition(held.status())) {
      why = std::string(held.status().message());
      continue;
    }
    if (!held.ok()) return decline(std::string(held.status().message()));
    answer.set_ward_id(candidate.board().ward_id());
    answer.set_hold_id(hold.hold_id());
    YILIAN_SET_MS(answer, expires_at, expires);
    auto events = dgc::AnswerBedRequest(std::nullopt, answer);
    if (!events.ok()) return decline(std::string(events.status().message()));
    RequestStream r(kRequestKind, req.request_id(), std::nullopt, 0);
    RETURN_IF_ERROR(r.Add(*events));
    RETURN_IF_ERROR(w.Add(*held));
    RequestDecision d;
    d.reply = RequestReply(r);
    d.Add(std::move(r));
    std::vector<WardStream> ward;
    ward.push_back(std::move(w));
    board_->Queue(d, std::move(ward), std::move(locks));
    return d;
  }
  return decline(why);
}

absl::Status BedCommands::AnswerBedRequest(const Call& call, const fv1::BedRequested& req) {
  return OnRequest(call, req.request_id(), [&] { return DecideAnswer(req); });
}

absl::Status BedCommands::Release(const Call& call, const std::string& request_id, const std::string& reason,
                                  bool expired) {
  return OnRequest(call, request_id, [&]() -> absl::StatusOr<RequestDecision> {
    ASSIGN_OR_RETURN(auto row, board_->view().Request(request_id));
    if (!row || row->request().status() != gv1::RESERVED) return RequestDecision{};  // nothing held any more
    const gv1::BedRequest& q = row->request();
    RequestStream r(kRequestKind, request_id, q, row->version());
    ASSIGN_OR_RETURN(auto released, dgc::ReleaseBedRequest(q, reason));
    RETURN_IF_ERROR(r.Add(released));
    const std::string key = WardKey(q.institution_id(), q.ward_id());
    auto locks = board_->ward_locks().LockAll({key});
    ASSIGN_OR_RETURN(auto w, board_->LoadWard(key));
    if (dgc::FindHold(w.state(), q.hold_id())) {
      dgc::BoardEvents let_go;
      if (expired) {
        let_go = dgc::ExpireHold(w.state(), q.hold_id(), board_->NowMs());
        if (let_go.empty()) return absl::FailedPreconditionError(absl::StrCat("hold ", q.hold_id(), " is not due"));
      } else {
        ASSIGN_OR_RETURN(let_go, dgc::ReleaseHold(w.state(), q.hold_id(), reason));
      }
      RETURN_IF_ERROR(w.Add(let_go));
    }
    RequestDecision d;
    d.reply = RequestReply(r);
    d.Add(std::move(r));
    std::vector<WardStream> wards;
    wards.push_back(std::move(w));
    board_->Queue(d, std::move(wards), std::move(locks));
    return d;
  });
}

absl::Status BedCommands::CancelBedRequest(const Call& call, const fv1::BedRequestCancelled& req) {
  return Release(call, req.request_id(),
                 absl::StrCat("cancelled: ", req.reason().empty() ? "referral cancelled" : req.reason()), false);
}

absl::Status BedCommands::ReleaseExpired(const gv1::BedRequestReply& request) {
  const auto& q = request.request();
  return Release(command::ServiceCall("greenchannel", q.referral_id(), "hold-expiry"), q.request_id(), "expired", true);
}

absl::Status BedCommands::AdmitReferral(const Call& call, const fv1::ReferredPatientAdmitted& req) {
  return OnRequest(call, req.request_id(), [&]() -> absl::StatusOr<RequestDecision> {
    ASSIGN_OR_RETURN(auto row, board_->view().Request(req.request_id()));
    if (!row || row->request().status() != gv1::RESERVED) return RequestDecision{};
    const gv1::BedRequest& q = row->request();
    const std::string key = WardKey(q.institution_id(), q.ward_id());
    auto locks = board_->ward_locks().LockAll({key});
    ASSIGN_OR_RETURN(auto w, board_->LoadWard(key));
    if (!dgc::FindHold(w.state(), q.hold_id())) return RequestDecision{};
    RequestStream r(kRequestKind, q.request_id(), q, row->version());
    ASSIGN_OR_RETURN(auto taken, dgc::TakeUpBedRequest(q, q.request_id()));
    RETURN_IF_ERROR(r.Add(taken));
    ASSIGN_OR_RETURN(auto occupied, dgc::Admit(w.state(), q.hold_id(), q.request_id()));
    RETURN_IF_ERROR(w.Add(occupied));
    RequestDecision d;
    d.reply = RequestReply(r);
    d.Add(std::move(r));
    std::vector<WardStream> wards;
    wards.push_back(std::move(w));
    board_->Queue(d, std::move(wards), std::move(locks));
    return d;
  });
}

}  // namespace yilian::greenchannel
