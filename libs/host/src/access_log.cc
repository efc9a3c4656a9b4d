#include "yilian/host/access_log.h"

#include <chrono>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "grpcpp/server_context.h"
#include "yilian/common/logging.h"
#include "yilian/common/uuid.h"

namespace yilian::host {
namespace {

using Clock = std::chrono::steady_clock;
using grpc::experimental::InterceptionHookPoints;

class AccessLogInterceptor : public grpc::experimental::Interceptor {
 public:
  AccessLogInterceptor(grpc::experimental::ServerRpcInfo* info, const Authenticator* auth)
      : info_(info), auth_(auth), method_(info->method()), start_(Clock::now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* m) override {
    if (m->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) TakeId(m);
    if (m->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_INITIAL_METADATA) && !id_.empty())
      m->GetSendInitialMetadata()->emplace(kCorrelationHeader, id_);
    if (m->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) Log(m->GetSendStatus());
    m->Proceed();
  }

 private:
  void TakeId(grpc::experimental::InterceptorBatchMethods* m) {
    auto* md = m->GetRecvInitialMetadata();
    if (md == nullptr) return;
    auto it = md->find(kCorrelationHeader);
    if (it != md->end() && common::ValidCorrelationId(std::string_view(it->second.data(), it->second.size()))) {
      id_.assign(it->second.data(), it->second.size());
      return;
    }
    md->erase(kCorrelationHeader);  // absent or unfit: the handler must see the id logged here
    id_ = common::NewUuid();
    md->emplace(grpc::string_ref(kCorrelationHeader), grpc::string_ref(id_));
  }

  void Log(const grpc::Status& status) {
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start_).count();
    const std::string code = absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code()));
    // A flood refused by the rate limit would flood the log too: metrics count those calls.
    const bool quiet = absl::StartsWith(method_, "/grpc.health.") || absl::StartsWith(method_, "/grpc.reflection.") ||
                       status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED;
    const bool fault = status.error_code() == grpc::StatusCode::INTERNAL ||
                       status.error_code() == grpc::StatusCode::UNKNOWN ||
                       status.error_code() == grpc::StatusCode::DATA_LOSS;
    const auto level = quiet ? spdlog::level::debug : fault ? spdlog::level::warn : spdlog::level::info;
    auto& log = common::Logger();
    if (!log.should_log(level)) return;
    std::vector<common::LogField> fields = {
        {"correlation_id", id_}, {"rpc", method_}, {"code", code}, {"ms", absl::StrFormat("%.2f", ms)}};
    if (auto who = auth_->Identify(*info_->server_context()); who.ok()) {
      fields.emplace_back("subject", who->subject);
      fields.emplace_back("institution", who->institution_id);
      fields.emplace_back("role", std::string(common::RoleName(who->role)));
    } else {
      fields.emplace_back("principal", "unauthenticated");
    }
    if (!status.ok()) fields.emplace_back("error", status.error_message().substr(0, 300));
    common::LogScope scope(std::move(fields));
    const std::string_view name = std::string_view(method_).substr(method_.rfind('/') + 1);
    log.log(level, "rpc {} {}", name, code);
  }

  grpc::experimental::ServerRpcInfo* info_;
  const Authenticator* auth_;
  std::string method_;
  Clock::time_point start_;
  std::string id_;  // outlives the call's metadata map, which points into it
};

class AccessLogFactoryImpl : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit AccessLogFactoryImpl(const Authenticator* auth) : auth_(auth) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(grpc::experimental::ServerRpcInfo* info) override {
    return new AccessLogInterceptor(info, auth_);
  }

 private:
  const Authenticator* auth_;
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> AccessLogFactory(
    const Authenticator* authenticator) {
  return std::make_unique<AccessLogFactoryImpl>(authenticator);
}

}  // namespace yilian::host
