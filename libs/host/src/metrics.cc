#include "yilian/host/metrics.h"

#include <pthread.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "prometheus/counter.h"
#include "prometheus/exposer.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "yilian/common/logging.h"

namespace yilian::host {

namespace {

using Clock = std::chrono::steady_clock;

class TimingInterceptor : public grpc::experimental::Interceptor {
 public:
  TimingInterceptor(Metrics* metrics, std::string method)
      : metrics_(metrics), method_(std::move(method)), start_(Clock::now()) {}
  void Intercept(grpc::experimental::InterceptorBatchMethods* m) override {
    if (m->QueryInterceptionHookPoint(grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS))
      metrics_->ObserveRpc(method_, static_cast<int>(m->GetSendStatus().error_code()),
                           std::chrono::duration<double>(Clock::now() - start_).count());
    m->Proceed();
  }

 private:
  Metrics* metrics_;
  std::string method_;
  Clock::time_point start_;
};

class TimingFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit TimingFactory(Metrics* metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(grpc::experimental::ServerRpcInfo* info) override {
    return new TimingInterceptor(metrics_, info->method());
  }

 private:
  Metrics* metrics_;
};

}  // namespace

struct Metrics::Impl {
  std::string service;
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  std::unique_ptr<prometheus::Exposer> exposer;
  prometheus::Family<prometheus::Counter>* requests = nullptr;
  prometheus::Family<prometheus::Histogram>* latency = nullptr;
  std::mutex mu;  // guards the readers and stop
  std::condition_variable cv;
  bool stop = false;
  std::vector<std::function<void()>> readers;
};

absl::StatusOr<std::unique_ptr<Metrics>> Metrics::Start(const std::string& listen, const std::string& service) {
  auto impl = std::make_unique<Impl>();
  impl->service = service;
  try {
    impl->exposer = std::make_unique<prometheus::Exposer>(listen);
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("metrics: cannot listen on ", listen, ": ", e.what()));
  }
  impl->exposer->RegisterCollectable(impl->registry);
  impl->requests = &prometheus::BuildCounter()
                        .Name("yilian_grpc_requests_total")
                        .Help("RPCs answered, by method and status code")
                        .Labels({{"service", service}})
                        .Register(*impl->registry);
  impl->latency = &prometheus::BuildHistogram()
                       .Name("yilian_grpc_request_seconds")
                       .Help("RPC latency, from the call's arrival to its status")
                       .Labels({{"service", service}})
                       .Register(*impl->registry);
  auto m = std::unique_ptr<Metrics>(new Metrics(std::move(impl)));
  const auto ports = m->impl_->exposer->GetListeningPorts();
  m->address_ = absl::StrCat(listen.substr(0, listen.rfind(':')), ":", ports.empty() ? 0 : ports[0]);
  return m;
}

Metrics::Metrics(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {
  refresher_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "yl-metrics");
    std::unique_lock lock(impl_->mu);
    while (!impl_->stop) {
      for (auto& read : impl_->readers) read();
      impl_->cv.wait_for(lock, std::chrono::seconds(1), [&] { return impl_->stop; });
    }
  });
}

Metrics::~Metrics() { StopGauges(); }

void Metrics::StopGauges() {
  std::call_once(stopped_, [this] {  // a second caller waits until the first has joined
    {
      std::lock_guard lock(impl_->mu);
      impl_->stop = true;
    }
    impl_->cv.notify_all();
    refresher_.join();
    std::lock_guard lock(impl_->mu);
    impl_->readers.clear();
  });
}

void Metrics::Gauge(const std::string& name, const std::string& help, std::function<double()> read, Labels labels) {
  auto& family =
      prometheus::BuildGauge().Name(name).Help(help).Labels({{"service", impl_->service}}).Register(*impl_->registry);
  auto* gauge = &family.Add(labels);
  std::lock_guard lock(impl_->mu);
  impl_->readers.push_back([gauge, read = std::move(read)] { gauge->Set(read()); });
}

void Metrics::Gauges(const std::string& name, const std::string& help,
                     std::function<std::vector<std::pair<Labels, double>>()> read) {
  auto* family =
      &prometheus::BuildGauge().Name(name).Help(help).Labels({{"service", impl_->service}}).Register(*impl_->registry);
  std::lock_guard lock(impl_->mu);
  impl_->readers.push_back([family, read = std::move(read)] {
    for (auto& [labels, value] : read()) family->Add(labels).Set(value);
  });
}

void Metrics::ObserveRpc(const std::string& method, int code, double seconds) {
  impl_->requests->Add({{"method", method}, {"code", std::to_string(code)}}).Increment();
  static const prometheus::Histogram::BucketBoundaries kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                                   0.05,   0.1,   0.25,   0.5,   1,    2.5};
  impl_->latency->Add({{"method", method}}, kBuckets).Observe(seconds);
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> Metrics::InterceptorFactory() {
  return std::make_unique<TimingFactory>(this);
}

}  // namespace yilian::host
