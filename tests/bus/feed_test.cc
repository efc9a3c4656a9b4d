// The catch-up feed over a real gRPC server on port 0.
#include <future>

#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "yilian/bus/feed_service.h"
#include "yilian/common/sha256.h"
#include "yilian/host/service_host.h"
#include "yilian/testing/counter_projector.h"
#include "yilian/testing/status_matchers.h"
#include "yilian/testing/temp_dir.h"

namespace yilian::bus {
namespace {

using eventstore::Journal;
using eventstore::kAnyVersion;
using eventstore::ParseEnvelope;
using eventstore::Store;

class FeedTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new yilian::testing::TempDir();
    store_ = Store::Open({.path = dir_->Sub("db")})->release();
    journal_ = Journal::Open(store_, {.source_service = "feedtest", .projector = &projector_})->release();
    // 100,000 entries over 1,000 aggregates, appended in concurrent waves so batches group.
    constexpr int kTotal = 100'000;
    EXPECT_OK(yilian::testing::AppendAll(*journal_, kTotal, [](int i) {
      return yilian::testing::CounterAppend(absl::StrCat("agg-", i % 1000), kAnyVersion);
    }));
    auth_ = new host::Authenticator(
        host::Authenticator::FromTokens({{"svc-token", {"referral", "", common::Role::ROLE_SERVICE}},
                                         {"doc-token", {"dr.li", "loudi-1st", common::Role::ROLE_CLINICIAN}}}));
    feed_ = new FeedService(journal_,
                            ReadersOf(auth_->RequireRoles({common::Role::ROLE_SERVICE, common::Role::ROLE_AUDITOR})));
    host_ = host::ServiceHost::Start({.service_name = "feedtest"}, *auth_, {feed_})->release();
  }
  static void TearDownTestSuite() {
    delete host_;
    delete feed_;
    delete auth_;
    delete journal_;
    delete store_;
    delete dir_;
  }
  std::unique_ptr<feed::v1::EventFeed::Stub> Stub() {
    return feed::v1::EventFeed::NewStub(grpc::CreateChannel(host_->address(), grpc::InsecureChannelCredentials()));
  }
  static void Authorize(grpc::ClientContext* ctx, const std::string& token = "svc-token") {
    ctx->AddMetadata("authorization", "Bearer " + token);
  }

  static inline yilian::testing::TempDir* dir_;
  static inline Store* store_;
  static inline yilian::testing::CounterProjector projector_;
  static inline Journal* journal_;
  static inline host::Authenticator* auth_;
  static inline FeedService* feed_;
  static inline host::ServiceHost* host_;
};

TEST_F(FeedTest, StreamsTheJournalInOrderFromAnArbitrarySequence) {
  auto stub = Stub();
  for (int64_t from : {1, 2, 4097, 77'777, 99'999, 100'000}) {
    grpc::ClientContext ctx;
    Authorize(&ctx);
    feed::v1::ReadJournalRequest req;
    req.set_from_sequence(from);
    auto reader = stub->ReadJournal(&ctx, req);
    feed::v1::JournalBatch batch;
    int64_t expected = from;
    std::string prev_hash;
    while (reader->Read(&batch)) {
      EXPECT_EQ(batch.head_sequence(), 100'000);
      for (const auto& e : batch.entries()) {
        ASSERT_EQ(e.sequence(), expected);
        ASSERT_EQ(common::Sha256(e.envelope()), e.hash());
        ASSERT_OK_AND_ASSIGN(auto env, ParseEnvelope(e.envelope()));
        ASSERT_EQ(env.source_sequence(), expected);
        if (!prev_hash.empty()) {
          ASSERT_EQ(env.previous_hash(), prev_hash);
        }
        prev_hash = e.hash();
        ++expected;
      }
    }
    ASSERT_TRUE(reader->Finish().ok());
    EXPECT_EQ(expected, 100'001) << "from " << from;
  }
}

TEST_F(FeedTest, LimitsAndEmptyTail) {
  auto stub = Stub();
  grpc::ClientContext ctx;
  Authorize(&ctx);
  feed::v1::ReadJournalRequest req;
  req.set_from_sequence(500);
  req.set_max_entries(1234);
  auto reader = stub->ReadJournal(&ctx, req);
  feed::v1::JournalBatch batch;
  int64_t n = 0, last = 0;
  while (reader->Read(&batch)) {
    n += batch.entries_size();
    last = batch.entries(batch.entries_size() - 1).sequence();
  }
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_EQ(n, 1234);
  EXPECT_EQ(last, 500 + 1234 - 1);

  grpc::ClientContext tail_ctx;
  Authorize(&tail_ctx);
  req.set_from_sequence(100'001);
  req.set_max_entries(0);
  auto tail = stub->ReadJournal(&tail_ctx, req);
  EXPECT_FALSE(tail->Read(&batch));
  EXPECT_TRUE(tail->Finish().ok());
}

TEST_F(FeedTest, StreamsOneAggregateFromAVersion) {
  auto stub = Stub();
  grpc::ClientContext ctx;
  Authorize(&ctx);
  feed::v1::ReadAggregateRequest req;
  req.set_aggregate_type("counter");
  req.set_aggregate_id("agg-42");
  req.set_from_version(60);
  auto reader = stub->ReadAggregate(&ctx, req);
  feed::v1::JournalBatch batch;
  int64_t version = 60;
  while (reader->Read(&batch)) {
    for (const auto& e : batch.entries()) {
      ASSERT_OK_AND_ASSIGN(auto env, ParseEnvelope(e.envelope()));
      EXPECT_EQ(env.aggregate_id(), "agg-42");
      EXPECT_EQ(env.aggregate_version(), version++);
    }
  }
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_EQ(version, 101);  // 100 events per aggregate
}

TEST_F(FeedTest, HeadAndAuthorization) {
  auto stub = Stub();
  {
    grpc::ClientContext ctx;
    Authorize(&ctx);
    feed::v1::HeadResponse head;
    ASSERT_TRUE(stub->Head(&ctx, {}, &head).ok());
    EXPECT_EQ(head.head_sequence(), 100'000);
    EXPECT_EQ(head.head_hash(), journal_->head().hash);
    EXPECT_EQ(head.source_service(), "feedtest");
  }
  {
    grpc::ClientContext ctx;  // no token
    feed::v1::HeadResponse head;
    EXPECT_EQ(stub->Head(&ctx, {}, &head).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    grpc::ClientContext ctx;
    Authorize(&ctx, "doc-token");  // a clinician may not read raw journals
    feed::v1::ReadJournalRequest req;
    auto reader = stub->ReadJournal(&ctx, req);
    feed::v1::JournalBatch batch;
    EXPECT_FALSE(reader->Read(&batch));
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
  }
}

}  // namespace
}  // namespace yilian::bus
