#pragma once
// Prometheus metrics over HTTP (prometheus-cpp), served at http://<listen>/metrics:
//   yilian_grpc_requests_total{method, code}   every RPC answered, by status code
//   yilian_grpc_request_seconds{method}        latency histogram per RPC
//   gauges a service reads from its parts every second (journal head, consumer lag, parked
//   events, bed board occupancy ...), registered with Gauge / Gauges.
// The gRPC numbers come from a server interceptor the ServiceHost installs when HostOptions
// carry a Metrics. Thread-safe.

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/support/server_interceptor.h"

namespace prometheus {
class Exposer;
class Registry;
}  // namespace prometheus

namespace yilian::host {

class Metrics {
 public:
  using Labels = std::map<std::string, std::string>;
  // Serves on `listen` ("host:port"; port 0 picks a free one). Every metric carries
  // service="<service>". UNAVAILABLE when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<Metrics>> Start(const std::string& listen, const std::string& service);
  ~Metrics();

  std::string address() const { return address_; }
  // One gauge, refreshed every second from `read`.
  void Gauge(const std::string& name, const std::string& help, std::function<double()> read, Labels labels = {});
  // A family of gauges refreshed together: `read` gives (labels, value) for each.
  void Gauges(const std::string& name, const std::string& help,
              std::function<std::vector<std::pair<Labels, double>>()> read);
  // Stops refreshing the gauges (waiting for a refresh under way) and drops their readers:
  // call it before the parts they read go away. Idempotent, and safe from several threads,
  // but not from inside a gauge's read. The destructor calls it.
  void StopGauges();
  // Counts and times one answered RPC (the interceptor calls it).
  void ObserveRpc(const std::string& method, int code, double seconds);
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> InterceptorFactory();

 private:
  struct Impl;
  explicit Metrics(std::unique_ptr<Impl> impl);
  void Refresh();
  std::unique_ptr<Impl> impl_;
  std::string address_;
  std::thread refresher_;
  std::once_flag stopped_;
};

}  // namespace yilian::host
