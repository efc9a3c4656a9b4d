#include "as_of.h"

#include "absl/strings/str_cat.h"
#include "yilian/common/oneof_event.h"
#include "yilian/common/status_macros.h"
#include "yilian/common/timestamp.h"
#include "yilian/domain/greenchannel/bed_board.h"
#include "yilian/domain/greenchannel/emergency_case.h"
#include "yilian/domain/referral/referral.h"

namespace yilian::audit {

namespace av1 = ::yilian::audit::v1;

namespace {

// Folds `prefix`'s events up to `at_ms` with `evolve` into `state`.
template <typename Wrapper, typename State>
absl::Status Fold(const ArchiveView& view, const std::string& prefix, int64_t at_ms, std::optional<State>& state,
                  absl::Status (*evolve)(std::optional<State>&, const Wrapper&), av1::StateAsOfResponse& out) {
  absl::Status failed;
  RETURN_IF_ERROR(view.ForEachIndexed(prefix, "", [&](const Unpacked& u) {
    if (common::UnixMs(u.entry.recorded_at()) > at_ms) return false;  // an aggregate's events are recorded in order
    auto event = common::UnpackEvent<Wrapper>(u.envelope);
    if (!event.ok()) {
      failed = event.status();
      return false;
    }
    failed = evolve(state, *event);
    if (!failed.ok()) return false;
    out.set_version(out.version() + 1);
    out.set_last_position(u.entry.position());
    return true;
  }));
  return failed;
}

}  // namespace

absl::StatusOr<av1::StateAsOfResponse> StateAsOf(const ArchiveView& view, const av1::StateAsOfRequest& req) {
  if (common::UnixMs(req.at()) <= 0) return absl::InvalidArgumentError("at is required");
  av1::StateAsOfResponse out;
  switch (req.what_case()) {
    case av1::StateAsOfRequest::kReferralId: {
      if (req.referral_id().empty()) return absl::InvalidArgumentError("referral_id is empty");
      std::optional<referral::v1::Referral> s;
      RETURN_IF_ERROR(Fold<referral::v1::ReferralEvent>(
          view, AggregatePrefix("referral", domain::referral::kReferral, req.referral_id()), common::UnixMs(req.at()),
          s, &domain::referral::Evolve, out));
      if (s) out.set_patient_erased(view.Erased(s->patient().value()));
      if (s) *out.mutable_referral() = std::move(*s);
      out.set_existed(s.has_value());
      break;
    }
    case av1::StateAsOfRequest::kCaseId: {
      if (req.case_id().empty()) return absl::InvalidArgumentError("case_id is empty");
      std::optional<greenchannel::v1::EmergencyCase> s;
      RETURN_IF_ERROR(Fold<greenchannel::v1::CaseEvent>(
          view, AggregatePrefix("greenchannel", domain::greenchannel::kCase, req.case_id()), common::UnixMs(req.at()),
          s, &domain::greenchannel::Evolve, out));
      if (s) out.set_patient_erased(view.Erased(s->patient().value()));
      if (s) *out.mutable_emergency_case() = std::move(*s);
      out.set_existed(s.has_value());
      break;
    }
    case av1::StateAsOfRequest::kWard: {
      if (req.ward().institution_id().empty() || req.ward().ward_id().empty())
        return absl::InvalidArgumentError("ward needs institution_id and ward_id");
      std::optional<greenchannel::v1::WardBoard> s;
      RETURN_IF_ERROR(Fold<greenchannel::v1::BoardEvent>(
          view,
          AggregatePrefix("greenchannel", domain::greenchannel::kWard,
                          absl::StrCat(req.ward().institution_id(), "/", req.ward().ward_id())),
          common::UnixMs(req.at()), s, &domain::greenchannel::Evolve, out));
      if (s) *out.mutable_ward() = std::move(*s);
      out.set_existed(s.has_value());
      break;
    }
    default:
      return absl::InvalidArgumentError("say which state: referral_id, case_id or ward");
  }
  return out;
}

}  // namespace yilian::audit
