#pragma once
// Every call to the audit archive is itself on record: an AuditCallRecorded event (who, which
// call, its parameters, the patient looked at) appended to the archive through the command
// runner, durably, before anything is served, so it is replayable like any other event.
// Thread-safe; borrows the journal.

#include "yilian/command/runner.h"
#include "yilian/common/principal.h"

namespace yilian::audit {

class CallRecorder {
 public:
  explicit CallRecorder(eventstore::Journal* journal) : runner_(journal, {.service = "audit"}) {}
  // `patient`: the pseudonymous reference the call looks at ("" if none).
  absl::Status Record(const common::Principal& who, const std::string& correlation_id, const char* call,
                      const google::protobuf::Message& request, const std::string& patient = "");

 private:
  command::Runner runner_;
};

}  // namespace yilian::audit
