#pragma once
// Where a consumer gets an event Kafka cannot supply: the owning service's catch-up feed
// (yilian.feed.v1.EventFeed). GrpcEventSource calls the feeds of the configured source
// services over gRPC with a bearer token; tests may implement EventSource directly.

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "yilian/common/config.h"
#include "yilian/feed/v1/feed.grpc.pb.h"

namespace yilian::bus {

// An entry as the source stored it: hash = SHA-256(envelope).
using EntryFn = absl::FunctionRef<absl::Status(int64_t sequence, std::string_view hash, std::string_view envelope)>;

class EventSource {
 public:
  virtual ~EventSource() = default;
  // `source`'s journal entries with from <= sequence <= to, in order. A non-OK status from
  // `fn` stops the read and is returned.
  virtual absl::Status ReadJournal(const std::string& source, int64_t from, int64_t to, EntryFn fn) = 0;
  // One aggregate's entries with from <= version <= to, in order.
  virtual absl::Status ReadAggregate(const std::string& source, const std::string& type, const std::string& id,
                                     int64_t from_version, int64_t to_version, EntryFn fn) = 0;
  // The source's journal head sequence (UNIMPLEMENTED where a source cannot say).
  virtual absl::StatusOr<int64_t> HeadOf(const std::string& source) {
    return absl::UnimplementedError("this event source does not know " + source + "'s head");
  }
};

struct FeedEndpoint {
  // host:port of the source service, or "@file": the file the source writes its address to,
  // read when the feed is first needed (so services may start in any order).
  std::string address;
  std::string token;  // bearer token (a SERVICE principal), may be empty
  // TLS: PEM root certificates; empty = plaintext (embedded, loopback only).
  std::string root_certificates;
  // Mutual TLS: the PEM certificate (a SERVICE principal's: OU=service) and key presented.
  std::string client_certificate, client_key;
};

class GrpcEventSource : public EventSource {
 public:
  explicit GrpcEventSource(std::map<std::string, FeedEndpoint> sources, absl::Duration deadline = absl::Seconds(30));
  absl::Status ReadJournal(const std::string& source, int64_t from, int64_t to, EntryFn fn) override;
  absl::Status ReadAggregate(const std::string& source, const std::string& type, const std::string& id,
                             int64_t from_version, int64_t to_version, EntryFn fn) override;
  absl::StatusOr<int64_t> HeadOf(const std::string& source) override;

 private:
  struct Feed {
    FeedEndpoint endpoint;
    std::shared_ptr<feed::v1::EventFeed::Stub> stub;  // shared: a call keeps its stub while a reset drops it
  };
  // A copy of the source's feed, its stub made on first use.
  absl::StatusOr<Feed> FeedFor(const std::string& source);
  // Passes `s` on; when the feed was unreachable, its "@file" address is read again next time.
  absl::Status Forget(const std::string& source, absl::Status s);
  void Prepare(const Feed& feed, grpc::ClientContext& ctx) const;
  std::mutex mu_;
  std::map<std::string, Feed> feeds_ ABSL_GUARDED_BY(mu_);  // stubs made on first use
  absl::Duration deadline_;
};

// Config keys for a consumer of `sources`: feed.<source> (host:port or @file),
// feed.token.file (the SERVICE token the feeds are called with), and for the mutual-TLS
// profile feed.tls.ca, feed.tls.cert, feed.tls.key (PEM files).
std::vector<common::ConfigKey> FeedConfigKeys(const std::vector<std::string>& sources);
// The configured endpoints (a source without an address is left out, with a warning).
// INVALID_ARGUMENT when the token file or a TLS file cannot be read.
absl::StatusOr<std::map<std::string, FeedEndpoint>> FeedEndpointsFrom(const common::Config& config,
                                                                      const std::vector<std::string>& sources);

}  // namespace yilian::bus
