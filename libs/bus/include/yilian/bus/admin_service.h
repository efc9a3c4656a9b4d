#pragma once
// yilian.bus.v1.BusAdmin over a BusConsumer: parked events and per-partition lag, for
// operators. Every call is checked by the Authorizer first (for example
// authenticator.RequireRoles({ROLE_CONSORTIUM_ADMIN, ROLE_AUDITOR})). Borrows the consumer.

#include "yilian/bus/consumer.h"
#include "yilian/bus/v1/bus.grpc.pb.h"
#include "yilian/host/authenticator.h"

namespace yilian::bus {

class BusAdminService final : public v1::BusAdmin::Service {
 public:
  BusAdminService(const BusConsumer* consumer, host::Authorizer authorize)
      : consumer_(consumer), authorize_(std::move(authorize)) {}

  grpc::Status ListParked(grpc::ServerContext* ctx, const v1::ListParkedRequest* req,
                          v1::ListParkedResponse* out) override;
  grpc::Status GetConsumerStatus(grpc::ServerContext* ctx, const v1::GetConsumerStatusRequest* req,
                                 v1::GetConsumerStatusResponse* out) override;

 private:
  const BusConsumer* consumer_;
  host::Authorizer authorize_;
};

}  // namespace yilian::bus
