#pragma once
// Shared helpers of the referral core.

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "yilian/common/problem.h"
#include "yilian/domain/referral/referral.h"

namespace yilian::domain::referral::internal {

inline int64_t Ms(absl::Time t) { return absl::ToUnixMillis(t); }

template <typename M>
::yilian::referral::v1::ReferralEvent Make(M* (::yilian::referral::v1::ReferralEvent::*field)(), const M& m) {
  ::yilian::referral::v1::ReferralEvent e;
  *(e.*field)() = m;
  return e;
}

inline std::string StatusName(::yilian::referral::v1::Status s) {
  std::string n = ::yilian::referral::v1::Status_Name(s);
  for (auto& c : n) c = c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return n;
}

// FAILED_PRECONDITION naming the state and what it allows.
inline absl::Status WrongState(const ::yilian::referral::v1::Referral& r, const char* action) {
  const auto allowed = AllowedActions(r);
  return common::WrongState(
      allowed, absl::FailedPreconditionError(absl::StrCat(
                   "cannot ", action, " referral ", r.referral_id(), ": it is ", StatusName(r.status()),
                   "; allowed now: ", allowed.empty() ? "nothing (terminal)" : absl::StrJoin(allowed, ", "))));
}

// A bed asked for and not declined: ending the referral releases it (BedRequestCancelled).
inline void ReleaseBed(const ::yilian::referral::v1::Referral& r, const std::string& reason, Events& out) {
  for (const std::string* id : {&r.schedule().bed_request_id(), &r.rescheduling().bed_request_id()}) {
    if (id->empty()) continue;
    ::yilian::referral::v1::BedRequestCancelled e;
    e.set_request_id(*id);
    e.set_referral_id(r.referral_id());
    e.set_reason(reason);
    out.push_back(Make(&::yilian::referral::v1::ReferralEvent::mutable_bed_request_cancelled, e));
  }
}

// A bed asked of the bed board: INVALID_ARGUMENT naming bed.ward_kind / bed.planned_admission_at.
absl::Status CheckBedAsk(::yilian::registry::v1::WardKind ward_kind, absl::Time planned_admission, absl::Time now);
// The BedRequested for `r` (a request id unique to the referral).
::yilian::referral::v1::BedRequested BedAsked(const ::yilian::referral::v1::Referral& r,
                                              ::yilian::registry::v1::WardKind ward_kind, absl::Time planned_admission,
                                              absl::Time now);

// Folds an amendment (the fields its paths name) into `r`.
absl::Status ApplyAmendment(::yilian::referral::v1::Referral& r, const ::yilian::referral::v1::ReferralAmended& e);

inline absl::Status Exists(const std::optional<::yilian::referral::v1::Referral>& state) {
  if (!state) return absl::NotFoundError("no such referral");
  return absl::OkStatus();
}

inline const char* SideName(Side s) {
  switch (s) {
    case Side::kSender:
      return "the sender";
    case Side::kReceiver:
      return "the receiver";
    case Side::kLead:
      return "the consortium lead";
    case Side::kSystem:
      return "the service";
  }
  return "?";
}

inline absl::Status OnlySide(Side side, std::initializer_list<Side> allowed, const char* action) {
  for (Side a : allowed)
    if (a == side) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(SideName(side), " may not ", action, " this referral"));
}

}  // namespace yilian::domain::referral::internal
