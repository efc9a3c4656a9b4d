#include "yilian/host/problem_trailer.h"

#include <string>

#include "yilian/common/problem.h"
#include "yilian/host/grpc_status.h"

namespace yilian::host {
namespace {

using grpc::experimental::InterceptionHookPoints;

class ProblemTrailer : public grpc::experimental::Interceptor {
 public:
  void Intercept(grpc::experimental::InterceptorBatchMethods* m) override {
    if (m->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = m->GetSendStatus();
      if (!status.ok()) {
        common::v1::Problem p;
        if (status.error_details().empty() || !p.ParseFromString(status.error_details()) || p.type().empty())
          p = common::ProblemOf(FromGrpcStatus(status));
        m->GetSendTrailingMetadata()->emplace(common::kProblemTrailer, p.SerializeAsString());
        m->ModifySendStatus(grpc::Status(status.error_code(), status.error_message()));
      }
    }
    m->Proceed();
  }
};

class ProblemTrailerFactoryImpl : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(grpc::experimental::ServerRpcInfo*) override {
    return new ProblemTrailer();
  }
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> ProblemTrailerFactory() {
  return std::make_unique<ProblemTrailerFactoryImpl>();
}

std::optional<common::v1::Problem> ProblemOf(const grpc::ClientContext& ctx) {
  const auto& trailers = ctx.GetServerTrailingMetadata();
  auto it = trailers.find(common::kProblemTrailer);
  if (it == trailers.end()) return std::nullopt;
  common::v1::Problem p;
  if (!p.ParseFromArray(it->second.data(), static_cast<int>(it->second.size()))) return std::nullopt;
  return p;
}

}  // namespace yilian::host
