#include "yilian/bus/event_source.h"

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "yilian/host/grpc_status.h"

namespace yilian::bus {

GrpcEventSource::GrpcEventSource(std::map<std::string, FeedEndpoint> sources, absl::Duration deadline)
    : deadline_(deadline) {
  for (auto& [name, ep] : sources) {
    auto creds = ep.root_certificates.empty()
                     ? grpc::InsecureChannelCredentials()
                     : grpc::SslCredentials(grpc::SslCredentialsOptions{ep.root_certificates, "", ""});
    Feed feed{ep, feed::v1::EventFeed::NewStub(grpc::CreateChannel(ep.address, creds))};
    feeds_.emplace(name, std::move(feed));
  }
}

absl::StatusOr<GrpcEventSource::Feed*> GrpcEventSource::FeedFor(const std::string& source) {
  auto it = feeds_.find(source);
  if (it == feeds_.end()) return absl::FailedPreconditionError(absl::StrCat("no catch-up feed configured for ", source));
  return &it->second;
}

void GrpcEventSource::Prepare(const Feed& feed, grpc::ClientContext& ctx) const {
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + deadline_));
  if (!feed.endpoint.token.empty()) ctx.AddMetadata("authorization", "Bearer " + feed.endpoint.token);
}

namespace {

// Drains a stream of batches, passing entries in [lo, hi] of `key(entry)` to fn.
template <typename Key>
absl::Status Drain(grpc::ClientReader<feed::v1::JournalBatch>& reader, grpc::ClientContext& ctx, int64_t lo,
                   int64_t hi, Key key, EntryFn fn) {
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
  Prepare(**feed, ctx);
  feed::v1::ReadJournalRequest req;
  req.set_from_sequence(from);
  req.set_max_entries(to - from + 1);
  auto reader = (*feed)->stub->ReadJournal(&ctx, req);
  return Drain(*reader, ctx, from, to, [](const feed::v1::JournalEntry& e) { return e.sequence(); }, fn);
}

absl::Status GrpcEventSource::ReadAggregate(const std::string& source, const std::string& type, const std::string& id,
                                            int64_t from_version, int64_t to_version, EntryFn fn) {
  auto feed = FeedFor(source);
  if (!feed.ok()) return feed.status();
  if (to_version < from_version) return absl::OkStatus();
  grpc::ClientContext ctx;
  Prepare(**feed, ctx);
  feed::v1::ReadAggregateRequest req;
  req.set_aggregate_type(type);
  req.set_aggregate_id(id);
  req.set_from_version(from_version);
  auto reader = (*feed)->stub->ReadAggregate(&ctx, req);
  int64_t version = from_version - 1;  // the feed sends consecutive versions from from_version
  return Drain(*reader, ctx, from_version, to_version, [&version](const feed::v1::JournalEntry&) { return ++version; },
               fn);
}

}  // namespace yilian::bus
