#include "call_record.h"

#include <google/protobuf/util/json_util.h>

#include "archive_model.h"
#include "google/protobuf/empty.pb.h"

namespace yilian::audit {

namespace av1 = ::yilian::audit::v1;

absl::Status CallRecorder::Record(const common::Principal& who, const std::string& correlation_id, const char* call,
                                  const google::protobuf::Message& request, const std::string& patient) {
  command::Call c = command::ServiceCall("audit", correlation_id, "");
  c.actor = who;  // the auditor, not the service: the record says who looked
  return runner_
      .RunAndWait<google::protobuf::Empty>(c, {},
                                           [&]() -> absl::StatusOr<command::Decision<google::protobuf::Empty>> {
                                             av1::AuditCallRecorded rec;
                                             rec.set_call(call);
                                             google::protobuf::util::JsonPrintOptions o;
                                             o.preserve_proto_field_names = true;
                                             (void)google::protobuf::util::MessageToJsonString(
                                                 request, rec.mutable_parameters(), o);
                                             events::v1::Envelope env = common::EnvelopeOf(rec);
                                             if (!patient.empty())
                                               env.mutable_patient()->set_value(patient);  // who looked at this patient
                                             if (!who.institution_id.empty())
                                               env.add_institution_ids(who.institution_id);
                                             eventstore::AppendRequest a;
                                             a.aggregate_type = kAuditCall;
                                             a.aggregate_id = who.subject;
                                             a.events.push_back(std::move(env));
                                             command::Decision<google::protobuf::Empty> d;
                                             d.appends.push_back(std::move(a));
                                             return d;
                                           })
      .status();
}

}  // namespace yilian::audit
