#include "yilian/domain/referral/worklist.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "yilian/common/problem.h"
#include "yilian/common/timestamp.h"
#include "yilian/domain/registry/registry.h"

namespace yilian::domain::referral {

namespace fv1 = ::yilian::referral::v1;

namespace {

constexpr int kMaxValues = 12;

absl::Status CheckEnums(const char* field, const google::protobuf::RepeatedField<int>& values, bool (*valid)(int)) {
  if (values.size() > kMaxValues) return common::InvalidField(field, absl::StrCat("at most ", kMaxValues, " values"));
  for (int v : values)
    if (!valid(v) || v == 0) return common::InvalidField(field, absl::StrCat(field, " has an unknown value ", v));
  return absl::OkStatus();
}

bool Any(const google::protobuf::RepeatedField<int>& values, int v) {
  return values.empty() || std::find(values.begin(), values.end(), v) != values.end();
}

int64_t Ms(const google::protobuf::Timestamp& t) { return t.seconds() * 1000 + t.nanos() / 1'000'000; }

}  // namespace

absl::Status CheckFilter(const fv1::WorklistFilter& f) {
  if (auto s = CheckEnums("filter.status", f.status(), fv1::Status_IsValid); !s.ok()) return s;
  if (auto s = CheckEnums("filter.business_status", f.business_status(), fv1::BusinessStatus_IsValid); !s.ok())
    return s;
  if (auto s = CheckEnums("filter.priority", f.priority(), fv1::Priority_IsValid); !s.ok()) return s;
  if (auto s = CheckEnums("filter.requested_service", f.requested_service(), fv1::ServiceKind_IsValid); !s.ok())
    return s;
  if (!fv1::Direction_IsValid(f.direction()))
    return common::InvalidField("filter.direction", "filter.direction is UPWARD or DOWNWARD");
  if (f.min_escalation_level() < 0 || f.min_escalation_level() > 2)
    return common::InvalidField("filter.min_escalation_level", "filter.min_escalation_level is 0..2");
  if (!f.patient().value().empty())
    if (auto s = registry::CheckPatientRef(f.patient()); !s.ok()) return s;
  if (f.has_submitted_from())
    if (auto s = common::FromTimestamp(f.submitted_from(), "filter.submitted_from"); !s.ok()) return s.status();
  if (f.has_submitted_to())
    if (auto s = common::FromTimestamp(f.submitted_to(), "filter.submitted_to"); !s.ok()) return s.status();
  if (f.has_submitted_from() && f.has_submitted_to() && Ms(f.submitted_to()) <= Ms(f.submitted_from()))
    return common::InvalidField("filter.submitted_to", "filter.submitted_to must be after filter.submitted_from");
  return absl::OkStatus();
}

bool Matches(const fv1::Referral& r, const fv1::WorklistFilter& f) {
  if (!Any(f.status(), r.status()) || !Any(f.business_status(), r.business_status()) ||
      !Any(f.priority(), r.priority()) || !Any(f.requested_service(), r.requested_service()))
    return false;
  if (f.direction() != fv1::DIRECTION_UNSPECIFIED && f.direction() != r.direction()) return false;
  if (r.escalation_level() < f.min_escalation_level()) return false;
  if (!f.patient().value().empty() && f.patient().value() != r.patient().value()) return false;
  if (f.has_submitted_from() && common::UnixMs(r.submitted_at()) < Ms(f.submitted_from())) return false;
  if (f.has_submitted_to() && common::UnixMs(r.submitted_at()) >= Ms(f.submitted_to())) return false;
  return true;
}

}  // namespace yilian::domain::referral
