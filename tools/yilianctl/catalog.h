#pragma once
// The services yilianctl can call, found by reflection in the generated descriptor pool:
// every RPC of every service is callable without code per RPC.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.h"

namespace yilian::ctl {

struct ServiceEntry {
  std::string name;       // "registry", "referral", "greenchannel", "audit", "bus", "feed", "health"
  std::string full_name;  // "yilian.registry.v1.Registry"
  std::string home;       // whose address it is served on ("" = its own name; bus/feed: --on)
};

const std::vector<ServiceEntry>& Services();
absl::StatusOr<const ServiceEntry*> FindService(const std::string& name);
// The method named `name` (exact, any case, or kebab-case: "open-case" for OpenCase).
absl::StatusOr<const google::protobuf::MethodDescriptor*> FindMethod(const ServiceEntry& service,
                                                                     const std::string& name);
const google::protobuf::ServiceDescriptor* Descriptor(const ServiceEntry& service);
// "open-case" for "OpenCase".
std::string Kebab(const std::string& camel);

}  // namespace yilian::ctl
