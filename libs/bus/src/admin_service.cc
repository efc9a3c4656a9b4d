#include "yilian/bus/admin_service.h"

#include "yilian/host/grpc_status.h"

namespace yilian::bus {

grpc::Status BusAdminService::ListParked(grpc::ServerContext* ctx, const v1::ListParkedRequest* req,
                                         v1::ListParkedResponse* out) {
  if (auto s = authorize_(*ctx); !s.ok()) return host::ToGrpcStatus(s);
  auto r = consumer_->ListParked(req->page_size(), req->page_token());
  if (!r.ok()) return host::ToGrpcStatus(r.status());
  *out = std::move(*r);
  return grpc::Status::OK;
}

grpc::Status BusAdminService::GetConsumerStatus(grpc::ServerContext* ctx, const v1::GetConsumerStatusRequest*,
                                                v1::GetConsumerStatusResponse* out) {
  if (auto s = authorize_(*ctx); !s.ok()) return host::ToGrpcStatus(s);
  *out = consumer_->status();
  return grpc::Status::OK;
}

}  // namespace yilian::bus
