#pragma once
// Echo service for host tests: answers WhoAmI with the authenticated principal.
#include "yilian/host/authenticator.h"
#include "yilian/host/grpc_status.h"
#include "yilian/testing/v1/testing.grpc.pb.h"

namespace yilian::host {

class EchoService final : public testing::v1::Echo::Service {
 public:
  explicit EchoService(const Authenticator* auth) : auth_(auth) {}
  grpc::Status WhoAmI(grpc::ServerContext* ctx, const testing::v1::WhoAmIRequest*,
                      common::v1::Principal* out) override {
    auto p = auth_->Authenticate(*ctx);
    if (!p.ok()) return ToGrpcStatus(p.status());
    *out = p->ToProto();
    return grpc::Status::OK;
  }

 private:
  const Authenticator* auth_;
};

}  // namespace yilian::host
