#include "yilian/bus/event_source.h"

#include <grpcpp/grpcpp.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "yilian/common/logging.h"
#include "yilian/host/grpc_status.h"

namespace yilian::bus {

GrpcEventSource::GrpcEventSource(std::map<std::string, FeedEndpoint> sources, absl::Duration deadline)
    : deadline_(deadline) {
  for (auto& [name, ep] : sources) feeds_.emplace(name, Feed{ep, nullptr});
}

absl::StatusOr<GrpcEventSource::Feed> GrpcEventSource::FeedFor(const std::string& source) {
  std::lock_guard lock(mu_);
  auto it = feeds_.find(source);
  if (it == feeds_.end())
    return absl::FailedPreconditionError(absl::StrCat("no catch-up feed configured for ", source));
  Feed& feed = it->second;
  if (!feed.stub) {
    std::string address = feed.endpoint.address;
    if (!address.empty() && address[0] == '@') {  // written by the source when it is up
      std::ifstream in(address.substr(1));
      std::stringstream text;
      text << in.rdbuf();
      address = std::string(absl::StripAsciiWhitespace(text.str()));
      if (address.empty())
        return absl::UnavailableError(absl::StrCat("the ", source, " feed's address file ",
                                                   feed.endpoint.address.substr(1), " is not written yet"));
    }
    auto creds =
        feed.endpoint.root_certificates.empty()
            ? grpc::InsecureChannelCredentials()
            : grpc::SslCredentials(grpc::SslCredentialsOptions{
                  feed.endpoint.root_certificates, feed.endpoint.client_key, feed.endpoint.client_certificate});
    feed.stub = feed::v1::EventFeed::NewStub(grpc::CreateChannel(address, creds));
  }
  return feed;
}

std::vector<common::ConfigKey> FeedConfigKeys(const std::vector<std::string>& sources) {
  std::vector<common::ConfigKey> keys;
  for (const auto& s : sources)
    keys.push_back({.name = "feed." + s,
                    .default_value = "",
                    .help = s + "'s catch-up feed host:port, or @file holding it (read when first needed)"});
  keys.push_back({.name = "feed.token.file",
                  .default_value = "",
                  .help = "file with the SERVICE bearer token for the feeds",
                  .secret = true});
  keys.push_back({.name = "feed.tls.ca",
                  .default_value = "",
                  .help = "CA of the feeds' server certificates (PEM); enables TLS to the feeds"});
  keys.push_back({.name = "feed.tls.cert",
                  .default_value = "",
                  .help = "client certificate presented to the feeds (PEM; subject OU=service)"});
  keys.push_back({.name = "feed.tls.key", .default_value = "", .help = "its private key (PEM)", .secret = true});
  return keys;
}

absl::StatusOr<std::map<std::string, FeedEndpoint>> FeedEndpointsFrom(const common::Config& config,
                                                                      const std::vector<std::string>& sources) {
  std::string token;
  if (const std::string f = config.GetString("feed.token.file"); !f.empty()) {
    std::ifstream in(f);
    std::getline(in, token);
    if (!in) return absl::InvalidArgumentError("feed.token.file: cannot read " + f);
  }
  std::string pem[3];  // ca, cert, key
  const char* tls_keys[3] = {"feed.tls.ca", "feed.tls.cert", "feed.tls.key"};
  for (int i = 0; i < 3; ++i) {
    const std::string f = config.GetString(tls_keys[i]);
    if (f.empty()) continue;
    std::ifstream in(f);
    std::stringstream text;
    text << in.rdbuf();
    pem[i] = text.str();
    if (!in || pem[i].empty()) return absl::InvalidArgumentError(absl::StrCat(tls_keys[i], ": cannot read ", f));
  }
  if (pem[0].empty() && !(pem[1].empty() && pem[2].empty()))
    return absl::InvalidArgumentError("feed.tls.cert and feed.tls.key need feed.tls.ca");
  if (pem[1].empty() != pem[2].empty()) return absl::InvalidArgumentError("feed.tls.cert and feed.tls.key go together");
  std::map<std::string, FeedEndpoint> feeds;
  for (const auto& s : sources) {
    const std::string address = config.GetString("feed." + s);
    if (!address.empty())
      feeds[s] = {.address = address,
                  .token = token,
                  .root_certificates = pem[0],
                  .client_certificate = pem[1],
                  .client_key = pem[2]};
    else
      common::Logger().warn("no catch-up feed for {}; a gap in its events waits for Kafka", s);
  }
  return feeds;
}

void GrpcEventSource::Prepare(const Feed& feed, grpc::ClientContext& ctx) const {
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + deadline_));
  if (!feed.endpoint.token.empty()) ctx.AddMetadata("authorization", "Bearer " + feed.endpoint.token);
}

namespace {

// Drains a stream of batches, passing entries in [lo, hi] of `key(entry)` to fn.
template <typename Key>
absl::Status Drain(grpc::ClientReader<feed::v1::JournalBatch>& reader, grpc::ClientContext& ctx, int64_t lo, int64_t hi,
                   Key key, EntryFn fn) {
  feed::v1::JournalBatch batch;
  absl::Status failed;
  bool done = false;
  while (!done && reader.Read(&batch)) {
    for (const auto& e : batch.entries()) {
      const int64_t k = key(e);
      if (k < lo) continue;
      if (k > hi) {
        done = true;
        break;
      }
      failed = fn(e.sequence(), e.hash(), e.envelope());
      if (!failed.ok()) {
        done = true;
        break;
      }
    }
  }
  if (done) ctx.TryCancel();
  grpc::Status s = reader.Finish();
  if (!failed.ok()) return failed;
  if (!done && !s.ok()) return host::FromGrpcStatus(s);
  return absl::OkStatus();
}

}  // namespace

absl::Status GrpcEventSource::ReadJournal(const std::string& source, int64_t from, int64_t to, EntryFn fn) {
  auto feed = FeedFor(source);
  if (!feed.ok()) return feed.status();
  if (to < from) return absl::OkStatus();
  grpc::ClientContext ctx;
  Prepare(*feed, ctx);
  feed::v1::ReadJournalRequest req;
  req.set_from_sequence(from);
  req.set_max_entries(to - from + 1);
  auto reader = feed->stub->ReadJournal(&ctx, req);
  return Forget(source, Drain(
                            *reader, ctx, from, to, [](const feed::v1::JournalEntry& e) { return e.sequence(); }, fn));
}

absl::Status GrpcEventSource::Forget(const std::string& source, absl::Status s) {
  // An unreachable feed may have moved (a restart on another port): read its address again.
  if (absl::IsUnavailable(s)) {
    std::lock_guard lock(mu_);
    if (auto it = feeds_.find(source);
        it != feeds_.end() && !it->second.endpoint.address.empty() && it->second.endpoint.address[0] == '@')
      it->second.stub.reset();
  }
  return s;
}

absl::StatusOr<int64_t> GrpcEventSource::HeadOf(const std::string& source) {
  auto feed = FeedFor(source);
  if (!feed.ok()) return feed.status();
  grpc::ClientContext ctx;
  Prepare(*feed, ctx);
  feed::v1::HeadResponse out;
  const grpc::Status s = feed->stub->Head(&ctx, feed::v1::HeadRequest(), &out);
  if (!s.ok()) return Forget(source, host::FromGrpcStatus(s));
  return out.head_sequence();
}

absl::Status GrpcEventSource::ReadAggregate(const std::string& source, const std::string& type, const std::string& id,
                                            int64_t from_version, int64_t to_version, EntryFn fn) {
  auto feed = FeedFor(source);
  if (!feed.ok()) return feed.status();
  if (to_version < from_version) return absl::OkStatus();
  grpc::ClientContext ctx;
  Prepare(*feed, ctx);
  feed::v1::ReadAggregateRequest req;
  req.set_aggregate_type(type);
  req.set_aggregate_id(id);
  req.set_from_version(from_version);
  auto reader = feed->stub->ReadAggregate(&ctx, req);
  int64_t version = from_version - 1;  // the feed sends consecutive versions from from_version
  return Forget(source, Drain(
                            *reader, ctx, from_version, to_version,
                            [&version](const feed::v1::JournalEntry&) { return ++version; }, fn));
}

}  // namespace yilian::bus
