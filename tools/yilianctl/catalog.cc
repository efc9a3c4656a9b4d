#include "catalog.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "grpc/health/v1/health.pb.h"
#include "yilian/audit/v1/audit.pb.h"
#include "yilian/bus/v1/bus.pb.h"
#include "yilian/feed/v1/feed.pb.h"
#include "yilian/greenchannel/v1/greenchannel.pb.h"
#include "yilian/referral/v1/referral_service.pb.h"
#include "yilian/registry/v1/registry.pb.h"

namespace yilian::ctl {

namespace {

// Touches one message of each file, so its descriptors are linked in and registered.
void LinkDescriptors() {
  static const bool once = [] {
    (void)registry::v1::Institution::descriptor();
    (void)referral::v1::ReferralReply::descriptor();
    (void)greenchannel::v1::CaseReply::descriptor();
    (void)audit::v1::ReplayBatch::descriptor();
    (void)bus::v1::ListParkedResponse::descriptor();
    (void)feed::v1::JournalBatch::descriptor();
    (void)grpc::health::v1::HealthCheckResponse::descriptor();
    return true;
  }();
  (void)once;
}

}  // namespace

const std::vector<ServiceEntry>& Services() {
  static const std::vector<ServiceEntry> services = {
      {"registry", "yilian.registry.v1.Registry", ""},
      {"referral", "yilian.referral.v1.Referrals", ""},
      {"greenchannel", "yilian.greenchannel.v1.GreenChannel", ""},
      {"audit", "yilian.audit.v1.Audit", ""},
      {"bus", "yilian.bus.v1.BusAdmin", "--on"},
      {"feed", "yilian.feed.v1.EventFeed", "--on"},
      {"health", "grpc.health.v1.Health", "--on"},
  };
  return services;
}

const google::protobuf::ServiceDescriptor* Descriptor(const ServiceEntry& service) {
  LinkDescriptors();
  return google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service.full_name);
}

absl::StatusOr<const ServiceEntry*> FindService(const std::string& name) {
  std::vector<std::string> names;
  for (const auto& s : Services()) {
    if (s.name == absl::AsciiStrToLower(name)) return &s;
    names.push_back(s.name);
  }
  return absl::InvalidArgumentError(absl::StrCat("no service \"", name, "\"; one of ", absl::StrJoin(names, ", ")));
}

std::string Kebab(const std::string& camel) {
  std::string out;
  for (char c : camel) {
    if (absl::ascii_isupper(c) && !out.empty()) out.push_back('-');
    out.push_back(absl::ascii_tolower(c));
  }
  return out;
}

absl::StatusOr<const google::protobuf::MethodDescriptor*> FindMethod(const ServiceEntry& service,
                                                                     const std::string& name) {
  const auto* d = Descriptor(service);
  if (d == nullptr) return absl::InternalError(absl::StrCat(service.full_name, " is not linked into yilianctl"));
  const std::string want = absl::AsciiStrToLower(name);
  for (int i = 0; i < d->method_count(); ++i) {
    const auto* m = d->method(i);
    if (absl::AsciiStrToLower(m->name()) == want || Kebab(m->name()) == want) return m;
  }
  std::vector<std::string> names;
  for (int i = 0; i < d->method_count(); ++i) names.push_back(Kebab(d->method(i)->name()));
  return absl::InvalidArgumentError(
      absl::StrCat(service.name, " has no method \"", name, "\"; it has ", absl::StrJoin(names, ", ")));
}

}  // namespace yilian::ctl
