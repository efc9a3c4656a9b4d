#pragma once
// The catch-up feed (yilian.feed.v1.EventFeed) over a Journal: consumers that cannot get
// an event from Kafka read it here. Entries are sent as stored (bytes + hash), in batches
// of at most `max_batch_entries` entries / ~1 MiB.
//
// Every call is checked by a FeedAuthorizer first, which sees the method and the request (so
// it can record what was asked: the audit's does). ReadersOf(authenticator.RequireRoles(...))
// makes one from a role check. Thread-safe; borrows the journal.

#include <functional>

#include "yilian/eventstore/journal.h"
#include "yilian/feed/v1/feed.grpc.pb.h"
#include "yilian/host/authenticator.h"

namespace yilian::bus {

// Decides a feed call: `method` is "ReadJournal", "ReadAggregate" or "Head".
using FeedAuthorizer = std::function<absl::Status(const grpc::ServerContextBase& ctx, const char* method,
                                                  const google::protobuf::Message& request)>;
// A FeedAuthorizer that asks `authorize` only (who calls, not what is asked).
FeedAuthorizer ReadersOf(host::Authorizer authorize);

class FeedService final : public feed::v1::EventFeed::Service {
 public:
  FeedService(const eventstore::Journal* journal, FeedAuthorizer authorize, int max_batch_entries = 512)
      : journal_(journal), authorize_(std::move(authorize)), max_batch_(max_batch_entries) {}

  grpc::Status ReadJournal(grpc::ServerContext* ctx, const feed::v1::ReadJournalRequest* req,
                           grpc::ServerWriter<feed::v1::JournalBatch>* out) override;
  grpc::Status ReadAggregate(grpc::ServerContext* ctx, const feed::v1::ReadAggregateRequest* req,
                             grpc::ServerWriter<feed::v1::JournalBatch>* out) override;
  grpc::Status Head(grpc::ServerContext* ctx, const feed::v1::HeadRequest* req, feed::v1::HeadResponse* out) override;

 private:
  const eventstore::Journal* journal_;
  FeedAuthorizer authorize_;
  int max_batch_;
};

}  // namespace yilian::bus
