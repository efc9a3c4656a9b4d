#include "yilian/fhir/task_search.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "google/protobuf/util/time_util.h"
#include "yilian/common/problem.h"
#include "yilian/fhir/codes.h"
#include "yilian/fhir/task.h"

namespace yilian::fhir {

namespace fv1 = ::yilian::referral::v1;
using google::protobuf::util::TimeUtil;

namespace {

// Each comma-separated code through `of`, refused naming `name` when it is not one.
template <typename E, typename Of, typename Add>
absl::Status Codes(const std::string& name, const std::string& value, Of of, Add add) {
  for (absl::string_view code : absl::StrSplit(value, ',', absl::SkipEmpty())) {
    std::optional<E> e = of(std::string(code));
    if (!e) return common::InvalidField(name, absl::StrCat("\"", code, "\" is not a ", name, " code"));
    add(*e);
  }
  return absl::OkStatus();
}

// authored-on: ge/gt/le/lt and an instant, or a date (that UTC day).
absl::Status AuthoredOn(const std::string& value, fv1::WorklistFilter& f) {
  absl::string_view v = value;
  std::string prefix = "eq";
  for (const char* p : {"ge", "gt", "le", "lt", "eq"})
    if (absl::ConsumePrefix(&v, p)) {
      prefix = p;
      break;
    }
  google::protobuf::Timestamp at;
  absl::CivilDay day;
  const bool is_day = v.size() == 10 && absl::ParseCivilTime(v, &day);
  if (is_day) {
    at = TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(absl::FromCivil(day, absl::UTCTimeZone())));
  } else {
    auto parsed = ParseInstant(std::string(v), "authored-on");
    if (!parsed.ok()) return parsed.status();
    at = *parsed;
  }
  const int64_t ms = TimeUtil::TimestampToMilliseconds(at);
  const int64_t end = is_day ? ms + 86'400'000 : ms + 1;  // just after the instant or the day
  auto from = [&](int64_t t) { *f.mutable_submitted_from() = TimeUtil::MillisecondsToTimestamp(t); };
  auto to = [&](int64_t t) { *f.mutable_submitted_to() = TimeUtil::MillisecondsToTimestamp(t); };
  if (prefix == "ge") from(ms);
  if (prefix == "gt") from(end);
  if (prefix == "lt") to(ms);
  if (prefix == "le") to(end);
  if (prefix == "eq") {
    from(ms);
    to(end);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<TaskSearch> TaskSearchOf(const std::vector<std::pair<std::string, std::string>>& params, bool strict) {
  TaskSearch s;
  fv1::WorklistFilter& f = *s.worklist.mutable_filter();
  std::string side, patient;
  bool filtered = false;
  for (const auto& [name, value] : params) {
    absl::Status st;
    if (name == "owner" || name == "requester") {
      if (!side.empty()) return common::InvalidField(name, "search by owner or by requester, one of them");
      side = name;
      absl::string_view id = value;
      absl::ConsumePrefix(&id, "Organization/");
      s.worklist.set_institution_id(std::string(id));
    } else if (name == "patient") {
      absl::string_view ref = value;
      absl::ConsumePrefix(&ref, "Patient/");
      patient = std::string(ref);
      f.mutable_patient()->set_value(patient);
    } else if (name == "status") {
      st = Codes<fv1::Status>(name, value, TaskStatusOf, [&](fv1::Status e) { f.add_status(e); });
      filtered = true;
    } else if (name == "business-status") {
      st = Codes<fv1::BusinessStatus>(name, value, BusinessStatusOf,
                                      [&](fv1::BusinessStatus e) { f.add_business_status(e); });
      filtered = true;
    } else if (name == "priority") {
      st = Codes<fv1::Priority>(name, value, PriorityOf, [&](fv1::Priority e) { f.add_priority(e); });
      filtered = true;
    } else if (name == "authored-on") {
      st = AuthoredOn(value, f);
      filtered = true;
    } else if (name == "_count") {
      int n = 0;
      if (!absl::SimpleAtoi(value, &n) || n < 1 || n > kMaxCount)
        return common::InvalidField("_count", absl::StrCat("_count is 1..", kMaxCount));
      s.worklist.mutable_page()->set_page_size(n);
      s.patient.mutable_page()->set_page_size(n);
    } else if (name == "_page_token") {
      s.worklist.mutable_page()->set_page_token(value);
      s.patient.mutable_page()->set_page_token(value);
      continue;  // not part of the search itself
    } else if (name == "_format") {
      continue;  // JSON is all the gateway speaks
    } else {
      if (strict) return common::InvalidField(name, absl::StrCat("unknown search parameter \"", name, "\""));
      continue;  // lenient (the default): ignored, and left out of the self link
    }
    if (!st.ok()) return st;
    s.kept.emplace_back(name, value);
  }
  if (side.empty() && patient.empty())
    return common::InvalidField("owner",
                                "search Task by owner=Organization/<id> (incoming), requester=Organization/<id> "
                                "(outgoing) or patient=Patient/<reference>");
  if (side.empty()) {  // one patient's referrals: no worklist filters there
    if (filtered)
      return common::InvalidField("patient", "a patient's referrals take no other filter; add owner or requester");
    s.list = TaskSearch::List::kPatient;
    s.patient.mutable_patient()->set_value(patient);
    return s;
  }
  s.list = side == "owner" ? TaskSearch::List::kIncoming : TaskSearch::List::kOutgoing;
  return s;
}

}  // namespace yilian::fhir
