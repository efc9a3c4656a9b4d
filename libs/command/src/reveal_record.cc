#include "yilian/command/reveal_record.h"

#include <algorithm>
#include <future>

#include "google/protobuf/empty.pb.h"
#include "yilian/common/oneof_event.h"

namespace yilian::command {

void RevealRecorder::Record(const common::Principal& who, const std::string& correlation_id, std::string_view rpc,
                            std::vector<std::string> patients, absl::AnyInvocable<void(absl::Status) &&> done) {
  patients.erase(std::remove(patients.begin(), patients.end(), std::string()), patients.end());
  std::sort(patients.begin(), patients.end());
  patients.erase(std::unique(patients.begin(), patients.end()), patients.end());
  if (patients.empty()) return std::move(done)(absl::OkStatus());
  Call call = ServiceCall(service_, correlation_id, "");
  call.actor = who;  // the record says who looked, not the service
  common::v1::IdentityRevealed revealed;
  revealed.set_rpc(std::string(rpc));
  runner_.Run<google::protobuf::Empty>(
      call, {},
      [&]() -> absl::StatusOr<Decision<google::protobuf::Empty>> {
        Decision<google::protobuf::Empty> d;
        for (const auto& patient : patients) {
          events::v1::Envelope env = common::EnvelopeOf(revealed);
          env.mutable_patient()->set_value(patient);
          if (!who.institution_id.empty()) env.add_institution_ids(who.institution_id);
          eventstore::AppendRequest a;
          a.aggregate_type = kIdentityReveal;
          a.aggregate_id = patient;
          a.expected_version = eventstore::kAnyVersion;
          a.events.push_back(std::move(env));
          d.appends.push_back(std::move(a));
        }
        return d;
      },
      [done = std::move(done)](absl::StatusOr<google::protobuf::Empty> r) mutable { std::move(done)(r.status()); });
}

absl::Status RevealRecorder::RecordAndWait(const common::Principal& who, const std::string& correlation_id,
                                           std::string_view rpc, std::vector<std::string> patients) {
  std::promise<absl::Status> promise;
  auto future = promise.get_future();
  Record(who, correlation_id, rpc, std::move(patients), [&promise](absl::Status s) { promise.set_value(s); });
  return future.get();
}

}  // namespace yilian::command
