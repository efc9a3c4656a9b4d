#pragma once
// One call of any RPC by reflection: the request built from JSON (and --set paths), sent as
// a unary call or a server stream; each response message handed to `on_message`.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "grpcpp/grpcpp.h"
#include "settings.h"

namespace yilian::ctl {

// The request: `json` (an object, may be empty) with each "path=value" of `sets` applied
// (value parsed as JSON when it is, else a string; "a.b=1" sets a nested field).
absl::StatusOr<std::unique_ptr<google::protobuf::Message>> BuildRequest(
    const google::protobuf::MethodDescriptor& method, const std::string& json, const std::vector<std::string>& sets);

std::shared_ptr<grpc::Channel> Connect(const Target& target);

// Calls `method`, handing each reply to `on_message`. A refusal's status carries the
// service's Problem (common.proto), serialized, in its details.
grpc::Status Call(const std::shared_ptr<grpc::Channel>& channel, const Target& target,
                  const google::protobuf::MethodDescriptor& method, const google::protobuf::Message& request,
                  absl::Duration timeout, const std::function<void(const google::protobuf::Message&)>& on_message);

}  // namespace yilian::ctl
