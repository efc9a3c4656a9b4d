// yilian-gateway: the FHIR R4 gateway. Wiring only: config -> a gRPC channel per service ->
// the FHIR routes (fhir_api.h) on the HTTP server (http_server.h), until SIGTERM/SIGINT.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "fhir_api.h"
#include "http_server.h"
#include "yilian/common/config.h"
#include "yilian/common/logging.h"
#include "yilian/host/service_config.h"
#include "yilian/host/service_host.h"

using namespace yilian;

namespace {

std::vector<common::ConfigKey> Schema() {
  using T = common::ConfigType;
  return {
      {"http.listen", T::kString, "127.0.0.1:8080", "host:port the FHIR server listens on (port 0: any free one)"},
      {"http.threads", T::kInt, "16", "HTTP worker threads (concurrent requests)"},
      {"http.max_body_bytes", T::kInt, "1048576", "the largest request body taken (413 above it)"},
      {"http.tls_pem_file", T::kString, "", "certificate chain and private key (PEM): serve HTTPS"},
      {"address.file", T::kString, "", "write the FHIR base URL here once listening"},
      {"upstream.referral", T::kString, std::nullopt,
       "the referral service's gRPC address, or @file holding it (as a service writes its address.file)"},
      {"upstream.registry", T::kString, std::nullopt, "the registry's gRPC address, or @file holding it"},
      {"upstream.ca_file", T::kString, "", "CA (PEM) of the services' TLS; empty: plaintext to the services"},
      {"log.level", T::kString, "info", "trace, debug, info, warn, error"},
      {"log.file", T::kString, "", "also log to this file"},
      {"log.format", T::kString, "text", "text or json"},
  };
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

int main(int argc, char** argv) {
  host::BlockShutdownSignals();
  const auto schema = Schema();
  auto config = common::Config::Load(schema, argc, argv);
  if (!config.ok()) {
    std::fprintf(stderr, "%s\n\n%s", config.status().ToString().c_str(), common::Config::Usage(schema).c_str());
    return 2;
  }
  if (auto s = common::InitLogging({.service = "gateway",
                                    .level = config->GetString("log.level"),
                                    .file = config->GetString("log.file"),
                                    .format = config->GetString("log.format")});
      !s.ok()) {
    std::fprintf(stderr, "yilian-gateway: %s\n", s.ToString().c_str());
    return 1;
  }
  // An address, or @file holding one (as a service writes its address.file).
  auto address = [&](const std::string& key) {
    std::string a = config->GetString(key);
    if (!a.empty() && a[0] == '@') a = std::string(absl::StripAsciiWhitespace(ReadFile(a.substr(1))));
    if (a.empty()) std::fprintf(stderr, "yilian-gateway: %s names no address\n", key.c_str());
    return a;
  };
  const std::string referral = address("upstream.referral"), registry = address("upstream.registry");
  if (referral.empty() || registry.empty()) return 2;
  std::shared_ptr<grpc::ChannelCredentials> creds = grpc::InsecureChannelCredentials();
  if (const std::string ca = config->GetString("upstream.ca_file"); !ca.empty()) {
    grpc::SslCredentialsOptions o;
    o.pem_root_certs = ReadFile(ca);
    creds = grpc::SslCredentials(o);
  }
  gateway::FhirApi api(grpc::CreateChannel(referral, creds), grpc::CreateChannel(registry, creds), "1");
  auto server =
      gateway::HttpServer::Start({.listen = config->GetString("http.listen"),
                                  .threads = static_cast<int>(config->GetInt("http.threads")),
                                  .max_body_bytes = static_cast<size_t>(config->GetInt("http.max_body_bytes")),
                                  .tls_pem_file = config->GetString("http.tls_pem_file")},
                                 "/fhir", [&api](const gateway::HttpRequest& req) { return api.Handle(req); });
  if (!server.ok()) {
    std::fprintf(stderr, "yilian-gateway: %s\n", server.status().ToString().c_str());
    return 1;
  }
  std::string host = config->GetString("http.listen");
  host = host.substr(0, host.rfind(':'));
  const std::string base =
      absl::StrCat((*server)->tls() ? "https://" : "http://", host, ":", (*server)->port(), "/fhir");
  if (const std::string file = config->GetString("address.file"); !file.empty()) host::WriteAddressFile(file, base);
  common::Logger().info("gateway: FHIR R4 at {} for referral service {}", base, referral);
  std::printf("listening=%s\n", base.c_str());
  std::fflush(stdout);
  host::WaitForShutdownSignal();
  common::Logger().info("gateway stopping");
  server->reset();
  return 0;
}
