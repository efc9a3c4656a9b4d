#include "yilian/host/service_config.h"

#include <cstdio>
#include <fstream>
#include <functional>
#include <string>

namespace yilian::host {

namespace {
std::string AtLeastOne(const std::string& v) { return std::stoll(v) >= 1 ? "" : "must be at least 1"; }
// A check that an integer key lies within [lo, hi].
std::function<std::string(const std::string&)> Within(long long lo, long long hi) {
  return [lo, hi](const std::string& v) {
    const long long n = std::stoll(v);
    return n >= lo && n <= hi ? std::string() : "must be within " + std::to_string(lo) + ".." + std::to_string(hi);
  };
}
}  // namespace

std::vector<common::ConfigKey> ServiceConfigKeys(const std::string& service) {
  return {
      {.name = "data.dir",
       .default_value = ".yilian/" + service,
       .help = "RocksDB directory (journal and projections)"},
      {.name = "store.cache_mb",
       .type = common::ConfigType::kInt,
       .default_value = "32",
       .help = "RocksDB block cache (data, index and filter blocks), MiB",
       .check = AtLeastOne},
      {.name = "store.memtable_mb",
       .type = common::ConfigType::kInt,
       .default_value = "32",
       .help = "all RocksDB memtables together, MiB; past it the largest is flushed",
       .check = AtLeastOne},
      {.name = "memory.malloc_arenas",
       .type = common::ConfigType::kInt,
       .default_value = "2",
       .help = "glibc malloc arenas (0: glibc's default of 8 per core); fewer arenas, less resident memory",
       .check = [](const std::string& v) { return std::stoll(v) >= 0 ? "" : "must not be negative"; }},
      {.name = "listen", .default_value = "127.0.0.1:0", .help = "gRPC address; port 0 picks a free port"},
      {.name = "address.file", .default_value = "", .help = "write the bound host:port here once serving"},
      {.name = "tokens.file",
       .default_value = ".yilian/tokens",
       .help = "bearer tokens (sha256:<hex> subject institution role)"},
      {.name = "tls.cert", .default_value = "", .help = "server certificate (PEM); enables mutual TLS"},
      {.name = "tls.key", .default_value = "", .help = "server private key (PEM)", .secret = true},
      {.name = "tls.client_ca", .default_value = "", .help = "CA that signs client certificates (PEM)"},
      {.name = "log.level", .default_value = "info", .help = "trace, debug, info, warn, error"},
      {.name = "log.file", .default_value = "", .help = "append logs to this file (kept across restarts, rotated)"},
      {.name = "log.file_max_mb",
       .type = common::ConfigType::kInt,
       .default_value = "100",
       .help = "rotate log.file at this size (MiB): svc.log becomes svc.1.log, the older ones move up; 0: never",
       .check = Within(0, 1 << 20)},  // up to 1 TiB
      {.name = "log.file_keep",
       .type = common::ConfigType::kInt,
       .default_value = "5",
       .help = "rotated log files kept besides the current one",
       .check = Within(1, 1000)},
      {.name = "log.stderr",
       .type = common::ConfigType::kBool,
       .default_value = "true",
       .help = "also log to stderr (false needs log.file)"},
      {.name = "log.format",
       .default_value = "json",
       .help = "json (one object per line, with correlation ids) or text"},
      {.name = "metrics.listen",
       .default_value = "",
       .help = "serve Prometheus metrics at http://<host:port>/metrics (port 0 picks one; empty: off)"},
      {.name = "limits.calls_per_second",
       .type = common::ConfigType::kInt,
       .default_value = "0",
       .help = "per-principal rate limit on the API (0: none); over it a call gets RESOURCE_EXHAUSTED"},
      {.name = "limits.burst",
       .type = common::ConfigType::kInt,
       .default_value = "0",
       .help = "calls a principal may make at once above the rate (0: one second's worth)"},
      {.name = "limits.max_call_seconds",
       .type = common::ConfigType::kInt,
       .default_value = "300",
       .help =
           "the longest a server stream stays open when the caller set no earlier deadline (then DEADLINE_EXCEEDED)",
       .check = [](const std::string& v) { return std::stoll(v) > 0 ? "" : "must be positive"; }},
      {.name = "rebuild",
       .type = common::ConfigType::kBool,
       .default_value = "false",
       .help = "rebuild the projections from the journal at start"},
  };
}

HostOptions HostOptionsFrom(const common::Config& config, const std::string& service) {
  return {.service_name = service,
          .listen_address = config.GetString("listen"),
          .tokens_file = config.GetString("tokens.file"),
          .tls = {config.GetString("tls.cert"), config.GetString("tls.key"), config.GetString("tls.client_ca")},
          .rate_limit = {.calls_per_second = static_cast<double>(config.GetInt("limits.calls_per_second")),
                         .burst = static_cast<double>(config.GetInt("limits.burst"))},
          .max_call = absl::Seconds(config.GetInt("limits.max_call_seconds"))};
}

absl::StatusOr<Authenticator> AuthenticatorFor(const HostOptions& options) {
  auto auth = options.tls.enabled() ? Authenticator::FromClientCertificates()
                                    : Authenticator::FromTokensFile(options.tokens_file);
  if (auth.ok()) auth->WithRateLimit(options.rate_limit);
  return auth;
}

void WriteAddressFile(const std::string& file, const std::string& address) {
  if (file.empty()) return;
  std::ofstream(file + ".tmp") << address << "\n";
  std::rename((file + ".tmp").c_str(), file.c_str());
}

}  // namespace yilian::host
