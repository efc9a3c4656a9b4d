#pragma once
// The gRPC server every Yilian service runs in: binds the listen address (port 0 picks a
// free port; anything but loopback only with TLS), serves the standard health service (grpc.health.v1, no credentials
// needed so probes work) and server reflection, and shuts down gracefully.
//
//   ASSIGN_OR_RETURN(auto host, ServiceHost::Start(options, {&referral_service, &feed}));
//   WaitForShutdownSignal();  // SIGTERM or SIGINT
//   host->Shutdown(absl::Seconds(10));
//
// Authentication is per call: handlers ask the host's Authenticator (see authenticator.h).
// Thread-safe. The registered services must outlive the host.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/server.h"
#include "yilian/host/authenticator.h"
#include "yilian/host/rate_limiter.h"

namespace yilian::host {

struct TlsOptions {
  std::string cert_file;       // server certificate chain (PEM)
  std::string key_file;        // server private key (PEM)
  std::string client_ca_file;  // CA that signs client certificates; clients must present one
  bool enabled() const { return !cert_file.empty(); }
};

class Metrics;

struct HostOptions {
  std::string service_name = "yilian";
  std::string listen_address = "127.0.0.1:0";
  std::string tokens_file;  // embedded default: bearer tokens (see authenticator.h)
  TlsOptions tls;           // production: mutual TLS, principals from client certificates
  RateLimit rate_limit;     // per principal, applied by the authenticator Start builds
  int max_message_bytes = 8 << 20;
  Metrics* metrics = nullptr;                  // when set, every RPC is counted and timed (borrowed)
  absl::Duration max_call = absl::Minutes(5);  // the longest a stream stays open (call_deadline.h)
  // Threads of the synchronous server kept waiting for calls between calls (at least 1; gRPC
  // starts threads only as calls need them). gRPC's default (2) ends a thread after its call
  // when two already wait and starts a new one for the next: under 16 concurrent Submits that
  // was a thread started and ended for every second call.
  int idle_threads = 64;
  // The gRPC health service answers for "" and for each of these names (the services'
  // full names, e.g. "yilian.referral.v1.Referrals"): SERVING while up, NOT_SERVING on shutdown.
  std::vector<std::string> health_names;
};

class ServiceHost {
 public:
  // Builds the authenticator (tokens file, or client certificates when TLS is configured;
  // INVALID_ARGUMENT if neither or a file is bad) and starts serving.
  // UNAVAILABLE if the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<ServiceHost>> Start(const HostOptions& options,
                                                            std::vector<grpc::Service*> services);
  // Same, with an authenticator supplied by the caller (tests, tools). Both refuse
  // (FAILED_PRECONDITION) a listen address beyond loopback without TLS: plaintext gRPC with
  // bearer tokens stays on the machine.
  static absl::StatusOr<std::unique_ptr<ServiceHost>> Start(const HostOptions& options, Authenticator authenticator,
                                                            std::vector<grpc::Service*> services);
  ~ServiceHost();

  int port() const { return port_; }
  std::string address() const;  // "127.0.0.1:<port>" style, for clients
  const Authenticator& authenticator() const { return authenticator_; }

  // Marks health NOT_SERVING, lets in-flight calls finish until `grace`, then cancels
  // the rest and stops. Idempotent.
  void Shutdown(absl::Duration grace);

 private:
  ServiceHost(Authenticator auth) : authenticator_(std::move(auth)) {}
  Authenticator authenticator_;
  std::unique_ptr<grpc::Server> server_;
  std::string host_;
  int port_ = 0;
  bool shut_down_ = false;
};

// Blocks SIGTERM and SIGINT in the calling thread and every thread it starts later. Call
// first thing in main, before any thread exists, so WaitForShutdownSignal can take them.
void BlockShutdownSignals();
// Waits for SIGTERM or SIGINT (blocked beforehand); returns the signal number.
int WaitForShutdownSignal();

}  // namespace yilian::host
