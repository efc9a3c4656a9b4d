#include "yilian/host/service_host.h"

#include <arpa/inet.h>
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "yilian/common/logging.h"
#include "yilian/host/access_log.h"
#include "yilian/host/call_deadline.h"
#include "yilian/host/metrics.h"
#include "yilian/host/problem_trailer.h"
#include "yilian/host/service_config.h"

namespace yilian::host {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path, const char* what) {
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError(absl::StrCat(what, " \"", path, "\" cannot be read"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> Credentials(const TlsOptions& tls) {
  if (!tls.enabled()) return grpc::InsecureServerCredentials();
  auto cert = ReadFile(tls.cert_file, "TLS certificate");
  if (!cert.ok()) return cert.status();
  auto key = ReadFile(tls.key_file, "TLS key");
  if (!key.ok()) return key.status();
  auto ca = ReadFile(tls.client_ca_file, "TLS client CA");
  if (!ca.ok()) return ca.status();
  grpc::SslServerCredentialsOptions opts(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  opts.pem_root_certs = *ca;
  opts.pem_key_cert_pairs.push_back({*key, *cert});
  return grpc::SslServerCredentials(opts);
}

// Whether `address` ("host:port") binds to this machine only: 127.x.x.x, [::1] or localhost.
bool IsLoopback(const std::string& address) {
  const size_t colon = address.rfind(':');
  const std::string host = colon == std::string::npos ? address : address.substr(0, colon);
  if (host == "localhost" || host == "[::1]") return true;
  in_addr ip{};
  return inet_pton(AF_INET, host.c_str(), &ip) == 1 && (ntohl(ip.s_addr) >> 24) == 127;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ServiceHost>> ServiceHost::Start(const HostOptions& options,
                                                                std::vector<grpc::Service*> services) {
  if (!options.tls.enabled() && options.tokens_file.empty())
    return absl::InvalidArgumentError("no authentication configured: set a tokens file or TLS certificates");
  auto auth = AuthenticatorFor(options);
  if (!auth.ok()) return auth.status();
  return Start(options, *std::move(auth), std::move(services));
}

absl::StatusOr<std::unique_ptr<ServiceHost>> ServiceHost::Start(const HostOptions& options, Authenticator authenticator,
                                                                std::vector<grpc::Service*> services) {
  if (!options.tls.enabled() && !IsLoopback(options.listen_address))
    return absl::FailedPreconditionError(absl::StrCat(
        "listen ", options.listen_address,
        " reaches beyond this machine: serve it with TLS (tls.cert, tls.key, tls.client_ca), or listen on 127.0.0.1"));
  auto creds = Credentials(options.tls);
  if (!creds.ok()) return creds.status();
  // Debian's Abseil is built without NDEBUG, so absl::Mutex (gRPC's lock, and the rate
  // limiter's) tracks lock order for deadlock detection by default: a process-wide graph
  // updated on every lock, a few per cent of a loaded server's CPU. Off for the whole process
  // once a server starts (our own locks are std::mutex but for the rate limiter's one).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  std::unique_ptr<ServiceHost> host(new ServiceHost(std::move(authenticator)));
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen_address, *creds, &host->port_);
  SetMaxCallDuration(options.max_call);
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  builder.SetMaxSendMessageSize(options.max_message_bytes);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, std::max(1, options.idle_threads));
  for (auto* s : services) builder.RegisterService(s);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(AccessLogFactory(&host->authenticator_));  // first: it settles the correlation id
  interceptors.push_back(ProblemTrailerFactory());
  if (options.metrics != nullptr) interceptors.push_back(options.metrics->InterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  host->server_ = builder.BuildAndStart();
  if (!host->server_ || host->port_ == 0)
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen_address, ": address in use or not available"));
  std::pair<std::string, std::string> hp = absl::StrSplit(options.listen_address, absl::MaxSplits(':', 1));
  host->host_ = hp.first.empty() || hp.first == "0.0.0.0" || hp.first == "[::]" ? "127.0.0.1" : hp.first;
  host->server_->GetHealthCheckService()->SetServingStatus(true);
  for (const auto& name : options.health_names) host->server_->GetHealthCheckService()->SetServingStatus(name, true);
  common::Logger().info("{} serving gRPC on {} ({})", options.service_name, host->address(),
                        options.tls.enabled() ? "mutual TLS" : "bearer tokens");
  return host;
}

std::string ServiceHost::address() const { return absl::StrCat(host_, ":", port_); }

void ServiceHost::Shutdown(absl::Duration grace) {
  if (shut_down_) return;
  shut_down_ = true;
  server_->GetHealthCheckService()->SetServingStatus(false);  // every name, "" included
  server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(grace));
  server_->Wait();
}

ServiceHost::~ServiceHost() { Shutdown(absl::Seconds(5)); }

void BlockShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int WaitForShutdownSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

}  // namespace yilian::host
