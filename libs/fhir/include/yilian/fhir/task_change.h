#pragma once
// A change a hospital makes to a Task (an update, or a JSON Patch applied to the current Task)
// as the one referral command it asks for. The status says which (FHIR's state machine is the
// referral's: a transition the referral does not allow is refused by the service, 422); the
// elements a command takes come with it:
//
//   requested (from draft) Send · received Acknowledge · accepted Accept · rejected Reject
//   (statusReason: its coding's code as the reason code, its text as advice) · ready Schedule,
//   or Reschedule when already ready (restriction.period.start: the appointment) · in-progress
//   RecordArrival, or Resume from on-hold · on-hold Hold (statusReason.text) · completed
//   Complete (output "outcome" valueString) · cancelled Cancel (statusReason.text) · failed Fail
//   (businessStatus: no-show, transfer-failed, patient-died, patient-declined; statusReason.text
//   as the note) · entered-in-error MarkEnteredInError (statusReason.text).
//
// Any other element changed is refused naming it. Pure; thread-safe.

#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/timestamp.pb.h"
#include "nlohmann/json.hpp"
#include "yilian/referral/v1/referral.pb.h"

namespace yilian::fhir {

enum class TaskAction {
  kNone,  // nothing changed
  kSend,
  kAcknowledge,
  kAccept,
  kReject,
  kSchedule,
  kReschedule,
  kArrive,
  kResume,
  kHold,
  kComplete,
  kCancel,
  kFail,
  kEnteredInError,
};

struct TaskChange {
  TaskAction action = TaskAction::kNone;
  std::string reason;              // statusReason.text
  std::string reason_code;         // statusReason's first coding's code (Reject)
  std::string summary;             // output "outcome" (Complete)
  google::protobuf::Timestamp at;  // restriction.period.start (Schedule, Reschedule)
  referral::v1::BusinessStatus failure = referral::v1::BUSINESS_STATUS_UNSPECIFIED;  // Fail
};

// What turning `before` (the current Task, as TaskOf made it) into `after` asks for.
absl::StatusOr<TaskChange> TaskChangeOf(const nlohmann::json& before, const nlohmann::json& after);

// The RPC's name for `action` ("Accept"), for messages and logs.
std::string ActionName(TaskAction action);

}  // namespace yilian::fhir
