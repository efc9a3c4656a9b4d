#include "yilian/domain/greenchannel/bed_request.h"

#include "absl/strings/str_cat.h"
#include "yilian/common/timestamp.h"
#include "yilian/domain/limits/limits.h"

namespace yilian::domain::greenchannel {

namespace gv1 = ::yilian::greenchannel::v1;

namespace {

absl::Status Reserved(const std::optional<gv1::BedRequest>& state) {
  if (!state) return absl::NotFoundError("no such bed request");
  if (state->status() != gv1::RESERVED)
    return absl::FailedPreconditionError(absl::StrCat("bed request ", state->request_id(), " is ",
                                                      gv1::BedRequestStatus_Name(state->status()), ", not RESERVED"));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RequestEvents> AnswerBedRequest(const std::optional<gv1::BedRequest>& state, const gv1::BedRequest& a) {
  if (auto s = limits::Reference("request_id", a.request_id()); !s.ok()) return s;
  if (auto s = limits::Reference("referral_id", a.referral_id()); !s.ok()) return s;
  if (auto s = limits::Reference("institution_id", a.institution_id()); !s.ok()) return s;
  if (auto s = limits::Reference("ward_id", a.ward_id(), /*required=*/false); !s.ok()) return s;
  if (auto s = limits::Text("reason", a.reason(), limits::kReason + 100); !s.ok()) return s;
  if (state) return absl::AlreadyExistsError(absl::StrCat("bed request ", a.request_id(), " was answered already"));
  gv1::BedRequestEvent e;
  if (!a.hold_id().empty()) {
    if (a.ward_id().empty() || common::UnixMs(a.expires_at()) <= 0)
      return absl::InvalidArgumentError("a reservation names its ward and expiry");
    auto* r = e.mutable_reserved()->mutable_request();
    *r = a;
    r->set_status(gv1::RESERVED);
    r->clear_reason();
  } else {
    if (a.reason().empty()) return absl::InvalidArgumentError("a declined request says why");
    auto* r = e.mutable_declined()->mutable_request();
    *r = a;
    r->set_status(gv1::DECLINED);
  }
  return RequestEvents{e};
}

absl::StatusOr<RequestEvents> ReleaseBedRequest(const std::optional<gv1::BedRequest>& state,
                                                const std::string& reason) {
  if (auto s = limits::Text("reason", reason, limits::kReason + 100, /*required=*/true); !s.ok()) return s;
  if (auto s = Reserved(state); !s.ok()) return s;
  gv1::BedRequestEvent e;
  e.mutable_released()->set_reason(reason);
  return RequestEvents{e};
}

absl::StatusOr<RequestEvents> TakeUpBedRequest(const std::optional<gv1::BedRequest>& state,
                                               const std::string& admission_id) {
  if (auto s = limits::Reference("admission_id", admission_id); !s.ok()) return s;
  if (auto s = Reserved(state); !s.ok()) return s;
  gv1::BedRequestEvent e;
  e.mutable_taken_up()->set_admission_id(admission_id);
  return RequestEvents{e};
}

absl::Status Evolve(std::optional<gv1::BedRequest>& state, const gv1::BedRequestEvent& e) {
  switch (e.kind_case()) {
    case gv1::BedRequestEvent::kReserved:
    case gv1::BedRequestEvent::kDeclined:
      if (state) return absl::FailedPreconditionError("bed request answered twice");
      state = e.has_reserved() ? e.reserved().request() : e.declined().request();
      return absl::OkStatus();
    case gv1::BedRequestEvent::kReleased:
    case gv1::BedRequestEvent::kTakenUp:
      if (!state || state->status() != gv1::RESERVED)
        return absl::FailedPreconditionError("bed request released or taken up while not reserved");
      if (e.has_released()) {
        state->set_status(gv1::RELEASED);
        state->set_reason(e.released().reason());
      } else {
        state->set_status(gv1::TAKEN_UP);
      }
      return absl::OkStatus();
    default:
      return absl::InvalidArgumentError("empty bed request event");
  }
}

gv1::BedHold ReferralHold(const std::string& request_id, const std::string& referral_id, int64_t now_ms,
                          int64_t expires_ms) {
  gv1::BedHold hold;
  hold.set_hold_id("bed:" + request_id);
  hold.set_purpose(gv1::REFERRAL);
  hold.set_subject_id(referral_id);
  YILIAN_SET_MS(hold, placed_at, now_ms);
  YILIAN_SET_MS(hold, expires_at, expires_ms);
  return hold;
}

std::string RequestOfHold(const gv1::BedHold& hold) {
  if (hold.purpose() != gv1::REFERRAL || hold.hold_id().rfind("bed:", 0) != 0) return "";
  return hold.hold_id().substr(4);
}

}  // namespace yilian::domain::greenchannel
