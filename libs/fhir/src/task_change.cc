#include "yilian/fhir/task_change.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "yilian/common/problem.h"
#include "yilian/fhir/codes.h"
#include "yilian/fhir/task.h"

namespace yilian::fhir {

namespace fv1 = ::yilian::referral::v1;
using Json = nlohmann::json;

namespace {

// The elements a change may touch; the rest are the referral's own record.
const std::set<std::string>& Changeable() {
  static const std::set<std::string> s = {"status", "statusReason", "businessStatus", "restriction", "output",
                                          "meta",   "text"};
  return s;
}

std::string StringAt(const Json& j, const Json::json_pointer& p) {
  if (!j.contains(p) || !j.at(p).is_string()) return "";
  return j.at(p).get<std::string>();
}

}  // namespace

std::string ActionName(TaskAction a) {
  switch (a) {
    case TaskAction::kNone:
      return "none";
    case TaskAction::kSend:
      return "Send";
    case TaskAction::kAcknowledge:
      return "Acknowledge";
    case TaskAction::kAccept:
      return "Accept";
    case TaskAction::kReject:
      return "Reject";
    case TaskAction::kSchedule:
      return "Schedule";
    case TaskAction::kReschedule:
      return "Reschedule";
    case TaskAction::kArrive:
      return "RecordArrival";
    case TaskAction::kResume:
      return "Resume";
    case TaskAction::kHold:
      return "Hold";
    case TaskAction::kComplete:
      return "Complete";
    case TaskAction::kCancel:
      return "Cancel";
    case TaskAction::kFail:
      return "Fail";
    case TaskAction::kEnteredInError:
      return "MarkEnteredInError";
  }
  return "none";
}

absl::StatusOr<TaskChange> TaskChangeOf(const Json& before, const Json& after) {
  if (!after.is_object() || after.value("resourceType", "") != "Task")
    return common::InvalidField("resourceType", "the result must still be a Task");
  if (after.value("id", "") != before.value("id", "")) return common::InvalidField("Task.id", "Task.id cannot change");
  std::set<std::string> keys;
  for (const auto& [k, v] : before.items()) keys.insert(k);
  for (const auto& [k, v] : after.items()) keys.insert(k);
  for (const auto& k : keys) {
    const bool same = before.contains(k) && after.contains(k) && before[k] == after[k];
    if (!same && !Changeable().count(k))
      return absl::FailedPreconditionError(
          absl::StrCat("Task.", k,
                       " is the referral's record and cannot be changed here; change status, statusReason, "
                       "businessStatus, restriction.period.start or output"));
  }
  TaskChange c;
  c.reason = StringAt(after, "/statusReason/text"_json_pointer);
  c.reason_code = StringAt(after, "/statusReason/coding/0/code"_json_pointer);
  if (after.contains("output") && after["output"].is_array())
    for (const auto& o : after["output"])
      if (o.is_object() && o.contains("valueString") && o["valueString"].is_string() &&
          StringAt(o, "/type/text"_json_pointer) == "outcome")
        c.summary = o["valueString"].get<std::string>();
  const std::string start = StringAt(after, "/restriction/period/start"_json_pointer);
  const bool moved = start != StringAt(before, "/restriction/period/start"_json_pointer);
  if (!start.empty()) {
    auto at = ParseInstant(start, "Task.restriction.period.start");
    if (!at.ok()) return at.status();
    c.at = *at;
  }
  const std::string from = before.value("status", ""), to = after.value("status", "");
  if (!after.contains("status") || !after["status"].is_string())
    return common::InvalidField("Task.status", "Task.status is required");
  auto target = TaskStatusOf(to);
  if (!target) return common::InvalidField("Task.status", absl::StrCat("\"", to, "\" is not a Task status"));
  if (to == from) {
    if (to == "ready" && moved) {
      c.action = TaskAction::kReschedule;
      return c;
    }
    return c;  // kNone: nothing the referral records changed
  }
  switch (*target) {
    case fv1::REQUESTED:
      c.action = TaskAction::kSend;
      break;
    case fv1::RECEIVED:
      c.action = TaskAction::kAcknowledge;
      break;
    case fv1::ACCEPTED:
      c.action = TaskAction::kAccept;
      break;
    case fv1::REJECTED:
      c.action = TaskAction::kReject;
      if (c.reason_code.empty()) c.reason_code = "other";
      break;
    case fv1::READY:
      if (start.empty())
        return common::InvalidField("Task.restriction.period.start",
                                    "ready needs restriction.period.start: the appointment's time");
      c.action = TaskAction::kSchedule;
      break;
    case fv1::IN_PROGRESS:
      c.action = from == "on-hold" ? TaskAction::kResume : TaskAction::kArrive;
      break;
    case fv1::ON_HOLD:
      c.action = TaskAction::kHold;
      break;
    case fv1::COMPLETED:
      c.action = TaskAction::kComplete;
      break;
    case fv1::CANCELLED:
      c.action = TaskAction::kCancel;
      break;
    case fv1::FAILED: {
      c.action = TaskAction::kFail;
      const std::string code = StringAt(after, "/businessStatus/coding/0/code"_json_pointer);
      auto failure = BusinessStatusOf(code);
      if (!failure || (*failure != fv1::NO_SHOW && *failure != fv1::TRANSFER_FAILED && *failure != fv1::PATIENT_DIED &&
                       *failure != fv1::PATIENT_DECLINED))
        return common::InvalidField("Task.businessStatus",
                                    "failed needs businessStatus no-show, transfer-failed, patient-died or "
                                    "patient-declined");
      c.failure = *failure;
      break;
    }
    case fv1::ENTERED_IN_ERROR:
      c.action = TaskAction::kEnteredInError;
      break;
    default:
      return absl::FailedPreconditionError(absl::StrCat("a Task cannot be moved to ", to));
  }
  return c;
}

}  // namespace yilian::fhir
