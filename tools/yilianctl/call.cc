#include "call.h"

#include <google/protobuf/util/json_util.h>
#include <grpcpp/impl/codegen/client_unary_call.h>
#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/impl/codegen/rpc_method.h>
#include <grpcpp/impl/codegen/sync_stream.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "nlohmann/json.hpp"
#include "yilian/host/problem_trailer.h"

namespace yilian::ctl {

namespace pb = ::google::protobuf;

absl::StatusOr<std::unique_ptr<pb::Message>> BuildRequest(const pb::MethodDescriptor& method, const std::string& json,
                                                          const std::vector<std::string>& sets) {
  nlohmann::json body = json.empty() ? nlohmann::json::object() : nlohmann::json::parse(json, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return absl::InvalidArgumentError("the request data is not a JSON object");
  for (const auto& set : sets) {
    const size_t eq = set.find('=');
    if (eq == std::string::npos || eq == 0)
      return absl::InvalidArgumentError(absl::StrCat("--set \"", set, "\" is not path=value"));
    const std::string text = set.substr(eq + 1);
    nlohmann::json value = nlohmann::json::parse(text, nullptr, false);
    if (value.is_discarded()) value = text;
    nlohmann::json* at = &body;
    const std::vector<std::string> parts = absl::StrSplit(set.substr(0, eq), '.');
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      if (!at->contains(parts[i]) || !(*at)[parts[i]].is_object()) (*at)[parts[i]] = nlohmann::json::object();
      at = &(*at)[parts[i]];
    }
    (*at)[parts.back()] = value;
  }
  const pb::Message* prototype = pb::MessageFactory::generated_factory()->GetPrototype(method.input_type());
  if (prototype == nullptr)
    return absl::InternalError(absl::StrCat("no message type ", method.input_type()->full_name()));
  std::unique_ptr<pb::Message> request(prototype->New());
  if (auto s = pb::util::JsonStringToMessage(body.dump(), request.get()); !s.ok())
    return absl::InvalidArgumentError(
        absl::StrCat("the request does not fit ", method.input_type()->full_name(), ": ", s.ToString()));
  return request;
}

std::shared_ptr<grpc::Channel> Connect(const Target& target) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  std::shared_ptr<grpc::ChannelCredentials> creds = grpc::InsecureChannelCredentials();
  if (!target.tls_ca.empty()) {
    grpc::SslCredentialsOptions o;
    o.pem_root_certs = target.tls_ca;
    o.pem_cert_chain = target.tls_cert;
    o.pem_private_key = target.tls_key;
    creds = grpc::SslCredentials(o);
  }
  return grpc::CreateCustomChannel(target.address, creds, args);
}

namespace {
// `s` with the Problem of the call's trailer (host/problem_trailer.h) in its details.
grpc::Status WithProblem(const grpc::Status& s, const grpc::ClientContext& ctx) {
  auto problem = host::ProblemOf(ctx);
  if (s.ok() || !problem) return s;
  return grpc::Status(s.error_code(), s.error_message(), problem->SerializeAsString());
}
}  // namespace

grpc::Status Call(const std::shared_ptr<grpc::Channel>& channel, const Target& target,
                  const pb::MethodDescriptor& method, const pb::Message& request, absl::Duration timeout,
                  const std::function<void(const pb::Message&)>& on_message) {
  const std::string path = absl::StrCat("/", method.service()->full_name(), "/", method.name());
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  if (!target.token.empty()) ctx.AddMetadata("authorization", "Bearer " + target.token);
  if (!target.correlation_id.empty()) ctx.AddMetadata("x-correlation-id", target.correlation_id);
  const pb::Message* prototype = pb::MessageFactory::generated_factory()->GetPrototype(method.output_type());
  std::unique_ptr<pb::Message> response(prototype->New());
  if (method.client_streaming())
    return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "client-streaming calls are not supported by yilianctl");
  if (!method.server_streaming()) {
    grpc::internal::RpcMethod rpc(path.c_str(), grpc::internal::RpcMethod::NORMAL_RPC, channel);
    grpc::Status s =
        grpc::internal::BlockingUnaryCall<pb::Message, pb::Message>(channel.get(), rpc, &ctx, request, response.get());
    if (s.ok()) on_message(*response);
    return WithProblem(s, ctx);
  }
  grpc::internal::RpcMethod rpc(path.c_str(), grpc::internal::RpcMethod::SERVER_STREAMING, channel);
  std::unique_ptr<grpc::ClientReader<pb::Message>> reader(
      grpc::internal::ClientReaderFactory<pb::Message>::Create(channel.get(), rpc, &ctx, request));
  while (reader->Read(response.get())) {
    on_message(*response);
    response->Clear();
  }
  return WithProblem(reader->Finish(), ctx);
}

}  // namespace yilian::ctl
