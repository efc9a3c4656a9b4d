// The command runner over a real journal: retries answered from their record, one decision at
// a time per aggregate, transactions, conflicts decided again, and what a reply shows.
#include "yilian/command/runner.h"

#include <atomic>
#include <future>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "yilian/testing/counter_projector.h"
#include "yilian/testing/status_matchers.h"
#include "yilian/testing/temp_dir.h"

namespace yilian::command {
namespace {

using eventstore::Family;
using CounterState = yilian::testing::v1::Counter;
using CounterEvent = yilian::testing::v1::CounterIncremented;

absl::Status EvolveCounter(std::optional<CounterState>& state, const CounterEvent& e) {
  if (!state) state.emplace();
  state->set_total(state->total() + e.amount());
  state->set_events(state->events() + 1);
  return absl::OkStatus();
}

void IndexCounter(const CounterEvent&, const CounterState*, const CounterState& after, events::v1::Envelope& env) {
  env.add_institution_ids(absl::StrCat("total-", after.total()));
}

const Kind<CounterState, CounterEvent> kCounter{"counter", &EvolveCounter, &IndexCounter};

CounterEvent Inc(int64_t amount, std::string note = "") {
  CounterEvent e;
  e.set_amount(amount);
  e.set_note(std::move(note));
  return e;
}

class RunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(store_, eventstore::Store::Open({.path = dir_.Sub("db")}));
    ASSERT_OK_AND_ASSIGN(journal_,
                         eventstore::Journal::Open(store_.get(), {.source_service = "test", .projector = &projector_}));
    runner_ = std::make_unique<Runner>(journal_.get(), RunnerOptions{.service = "test", .log_changes = true});
  }

  Call CallFor(const std::string& request_id, const google::protobuf::Message& request) {
    auto call = CallOf("test", {"alice", "inst-1", common::Role::ROLE_CLINICIAN}, "corr-1", request, request_id,
                       request_id.empty() ? RequestId::kOptional : RequestId::kRequired);
    EXPECT_OK(call);
    return *call;
  }

  // The counter as the projection has it, as a Stream.
  Stream<CounterState, CounterEvent> Load(const std::string& id) {
    std::optional<CounterState> state;
    auto row = store_->Get(Family::kProjection, "counter/" + id);
    EXPECT_OK(row);
    if (row.ok() && *row) {
      state.emplace();
      state->ParseFromString(**row);
    }
    auto version = journal_->AggregateVersion("counter", id);
    EXPECT_OK(version);
    return Stream<CounterState, CounterEvent>(kCounter, id, std::move(state), version.ok() ? *version : 0);
  }

  // A decision adding `amount` to counter `id`, answering the counter after it.
  absl::StatusOr<Decision<CounterState>> Add(const std::string& id, int64_t amount, int64_t expected = 0) {
    auto stream = Load(id);
    if (auto s = CheckVersion("counter", id, stream.version(), expected); !s.ok()) return s;
    if (auto s = stream.Add({Inc(amount)}); !s.ok()) return s;
    Decision<CounterState> d;
    d.reply = *stream.state();
    d.Add(std::move(stream));
    return d;
  }

  absl::StatusOr<CounterState> AddAndWait(const Call& call, const std::string& id, int64_t amount,
                                          std::atomic<int>* decisions = nullptr) {
    return runner_->RunAndWait<CounterState>(call, {&locks_, id}, [&]() -> absl::StatusOr<Decision<CounterState>> {
      if (decisions) ++*decisions;
      return Add(id, amount);
    });
  }

  yilian::testing::TempDir dir_;
  yilian::testing::CounterProjector projector_;
  std::unique_ptr<eventstore::Store> store_;
  std::unique_ptr<eventstore::Journal> journal_;
  std::unique_ptr<Runner> runner_;
  StripeLocks locks_;
};

TEST_F(RunnerTest, DecidesOnTheLoadedStateAndAnswersOnceDurable) {
  CounterEvent request = Inc(5);
  ASSERT_OK_AND_ASSIGN(auto first, AddAndWait(CallFor("r1", request), "a", 5));
  EXPECT_EQ(first.total(), 5);
  ASSERT_OK_AND_ASSIGN(auto second, AddAndWait(CallFor("r2", request), "a", 5));
  EXPECT_EQ(second.total(), 10);
  EXPECT_EQ(second.events(), 2);
  EXPECT_EQ(journal_->head().sequence, 2);
  // The envelopes carry the call and the service's index.
  int seen = 0;
  ASSERT_OK(journal_->Read(1, 0, [&](const eventstore::JournalEntry& entry) {
    auto env = eventstore::ParseEnvelope(entry.envelope);
    EXPECT_OK(env);
    EXPECT_EQ(env->actor().subject(), "alice");
    EXPECT_EQ(env->correlation_id(), "corr-1");
    EXPECT_EQ(env->event_type(), "yilian.testing.v1.CounterIncremented");
    EXPECT_EQ(env->institution_ids(0), absl::StrCat("total-", ++seen * 5));
    return true;
  }));
  EXPECT_EQ(seen, 2);
}

TEST_F(RunnerTest, ARetryGetsTheFirstAnswerWithoutDecidingAgain) {
  std::atomic<int> decisions = 0;
  CounterEvent request = Inc(3);
  ASSERT_OK_AND_ASSIGN(auto first, AddAndWait(CallFor("same", request), "a", 3, &decisions));
  ASSERT_OK_AND_ASSIGN(auto again, AddAndWait(CallFor("same", request), "a", 3, &decisions));
  EXPECT_EQ(again.SerializeAsString(), first.SerializeAsString());
  EXPECT_EQ(decisions.load(), 1);
  EXPECT_EQ(journal_->head().sequence, 1);
  // The same key with another request is refused, and writes nothing.
  auto other = AddAndWait(CallFor("same", Inc(4)), "a", 4, &decisions);
  EXPECT_EQ(other.status().code(), absl::StatusCode::kAlreadyExists) << other.status();
  EXPECT_EQ(journal_->head().sequence, 1);
}

TEST_F(RunnerTest, ConcurrentCommandsOnOneAggregateAreDecidedOneAfterAnother) {
  // Each decision expects the version it loaded: without the lock held until the append is
  // durable, concurrent ones would load the same version and all but one would be ABORTED.
  constexpr int kCalls = 32;
  std::vector<std::promise<absl::Status>> done(kCalls);
  std::vector<std::thread> threads;
  for (int i = 0; i < kCalls; ++i)
    threads.emplace_back([&, i] {
      const Call call = CallFor(absl::StrCat("c", i), Inc(1, absl::StrCat(i)));
      runner_->Run<CounterState>(
          call, {&locks_, "shared"},
          [&]() -> absl::StatusOr<Decision<CounterState>> {
            auto stream = Load("shared");
            return Add("shared", 1, stream.version() == 0 ? 0 : stream.version());
          },
          [&done, i](absl::StatusOr<CounterState> r) { done[i].set_value(r.status()); });
    });
  for (auto& t : threads) t.join();
  for (auto& d : done) EXPECT_OK(d.get_future().get());
  ASSERT_OK_AND_ASSIGN(auto version, journal_->AggregateVersion("counter", "shared"));
  EXPECT_EQ(version, kCalls);
}

TEST_F(RunnerTest, ARefusalOrANoChangeWritesNothingAndReleasesTheLock) {
  const Call call = CallFor("", Inc(1));
  auto refused = runner_->RunAndWait<CounterState>(
      call, {&locks_, "a"},
      []() -> absl::StatusOr<Decision<CounterState>> { return absl::FailedPreconditionError("not now"); });
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  auto unchanged =
      runner_->RunAndWait<CounterState>(call, {&locks_, "a"}, []() -> absl::StatusOr<Decision<CounterState>> {
        Decision<CounterState> d;
        d.reply.set_total(42);
        return d;
      });
  ASSERT_OK(unchanged);
  EXPECT_EQ(unchanged->total(), 42);
  EXPECT_EQ(journal_->head().sequence, 0);
  ASSERT_OK(AddAndWait(call, "a", 1));  // the stripe is free again
}

TEST_F(RunnerTest, ATransactionWritesEveryAggregateOrNone) {
  const Call call = CallFor("t1", Inc(1));
  auto both = runner_->RunAndWait<CounterState>(call, {&locks_, "x"}, [&]() -> absl::StatusOr<Decision<CounterState>> {
    auto d = Add("x", 1);
    if (!d.ok()) return d;
    auto y = Load("y");
    if (auto s = y.Add({Inc(2), Inc(3)}); !s.ok()) return s;
    d->Add(std::move(y));
    return d;
  });
  ASSERT_OK(both);
  EXPECT_EQ(journal_->head().sequence, 3);
  // The second aggregate's expectation is stale: nothing of either is written.
  auto stale = runner_->RunAndWait<CounterState>(CallFor("t2", Inc(1)), {&locks_, "x"},
                                                 [&]() -> absl::StatusOr<Decision<CounterState>> {
                                                   auto d = Add("x", 1);
                                                   if (!d.ok()) return d;
                                                   Stream<CounterState, CounterEvent> y(kCounter, "y", std::nullopt, 0);
                                                   if (auto s = y.Add({Inc(1)}); !s.ok()) return s;
                                                   d->Add(std::move(y));
                                                   return d;
                                                 });
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted) << stale.status();
  EXPECT_EQ(journal_->head().sequence, 3);
}

TEST_F(RunnerTest, AnAppendConflictIsDecidedAgainButADecisionsOwnIsNot) {
  int decisions = 0;
  auto decide = [&]() -> absl::StatusOr<Decision<CounterState>> {
    auto d = Add("a", 1);
    // The first decision's version goes stale before its append (another process wrote).
    if (++decisions == 1) {
      EXPECT_OK(journal_->Append(yilian::testing::CounterAppend("a", eventstore::kNoStream)));
    }
    return d;
  };
  auto r = runner_->RunAndWait<CounterState>(CallFor("", Inc(1)), {&locks_, "a"}, decide, nullptr, 3);
  ASSERT_OK(r);
  EXPECT_EQ(decisions, 2);
  EXPECT_EQ(r->events(), 2);

  int refusals = 0;
  auto own = runner_->RunAndWait<CounterState>(
      CallFor("", Inc(1)), {&locks_, "a"},
      [&]() -> absl::StatusOr<Decision<CounterState>> {
        ++refusals;
        return Add("a", 1, /*expected=*/1);
      },
      nullptr, 3);
  EXPECT_EQ(own.status().code(), absl::StatusCode::kAborted);
  EXPECT_NE(own.status().message().find("counter \"a\" is at version 2, not 1; re-read and retry"), std::string::npos)
      << own.status();
  EXPECT_EQ(refusals, 1);
}

TEST_F(RunnerTest, SettledTellsWhetherTheAppendWasWritten) {
  std::vector<bool> settled;
  auto run = [&](const std::string& request_id) {
    return runner_->RunAndWait<CounterState>(CallFor(request_id, Inc(1)), {&locks_, "a"},
                                             [&]() -> absl::StatusOr<Decision<CounterState>> {
                                               auto d = Add("a", 1);
                                               if (d.ok())
                                                 d->settled = [&](bool written) { settled.push_back(written); };
                                               return d;
                                             });
  };
  ASSERT_OK(run("s1"));
  // Another aggregate's stale expectation fails the whole append.
  auto failed = runner_->RunAndWait<CounterState>(
      CallFor("s2", Inc(1)), {&locks_, "a"}, [&]() -> absl::StatusOr<Decision<CounterState>> {
        auto d = Add("a", 1);
        if (!d.ok()) return d;
        d->appends.push_back(yilian::testing::CounterAppend("b", /*expected_version=*/7));
        d->settled = [&](bool written) { settled.push_back(written); };
        return d;
      });
  EXPECT_FALSE(failed.ok());
  EXPECT_EQ(settled, (std::vector<bool>{true, false}));
}

TEST_F(RunnerTest, TheShapeIsShownOnEveryAnswerButNeverStored) {
  const auto shape = [](CounterState& c) { c.set_last_sequence(-1); };  // what only the answer shows
  const Call call = CallFor("shaped", Inc(2));
  auto decide = [&]() { return Add("a", 2); };
  ASSERT_OK_AND_ASSIGN(auto first, runner_->RunAndWait<CounterState>(call, {&locks_, "a"}, decide, shape));
  ASSERT_OK_AND_ASSIGN(auto again, runner_->RunAndWait<CounterState>(call, {&locks_, "a"}, decide, shape));
  EXPECT_EQ(first.last_sequence(), -1);
  EXPECT_EQ(again.last_sequence(), -1);
  ASSERT_OK_AND_ASSIGN(auto record, journal_->FindIdempotent(call.idempotency_key, call.request_hash));
  ASSERT_TRUE(record.has_value());
  CounterState stored;
  ASSERT_TRUE(stored.ParseFromString(record->response));
  EXPECT_EQ(stored.last_sequence(), 0);
  EXPECT_EQ(stored.total(), 2);
}

TEST_F(RunnerTest, AStoredAnswerIsHandedOutOnlyWhenTheCallerMaySeeIt) {
  const Call call = CallFor("seen", Inc(3));
  int decided = 0;
  auto decide = [&]() {
    ++decided;
    return Add("a", 3);
  };
  bool allowed = true;
  const auto may_see = [&]() { return allowed ? absl::OkStatus() : absl::PermissionDeniedError("no longer yours"); };
  ASSERT_OK(runner_->RunAndWait<CounterState>(call, {&locks_, "a", may_see}, decide));
  ASSERT_OK_AND_ASSIGN(auto again, runner_->RunAndWait<CounterState>(call, {&locks_, "a", may_see}, decide));
  EXPECT_EQ(again.total(), 3);
  allowed = false;  // the caller lost access since: the stored answer is not handed out
  auto refused = runner_->RunAndWait<CounterState>(call, {&locks_, "a", may_see}, decide);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(decided, 1);  // and nothing was decided again
}

TEST_F(RunnerTest, WithoutALockTheJournalAnswersARetryFromItsRecord) {
  const Call call = CallFor("stateless", Inc(1));
  auto decide = [&]() -> absl::StatusOr<Decision<CounterState>> {
    Decision<CounterState> d;
    d.appends.push_back(yilian::testing::CounterAppend("free", eventstore::kAnyVersion));
    d.reply.set_total(1);
    return d;
  };
  ASSERT_OK(runner_->RunAndWait<CounterState>(call, {}, decide));
  ASSERT_OK_AND_ASSIGN(auto again, runner_->RunAndWait<CounterState>(call, {}, decide));
  EXPECT_EQ(again.total(), 1);
  EXPECT_EQ(journal_->head().sequence, 1);
}

TEST(CallTest, KeysAreScopedByServiceAndCaller) {
  CounterEvent req = Inc(1);
  ASSERT_OK_AND_ASSIGN(
      auto a, CallOf("referral", {"alice", "i", common::Role::ROLE_CLINICIAN}, "c", req, "r-1", RequestId::kRequired));
  ASSERT_OK_AND_ASSIGN(
      auto b, CallOf("referral", {"bob", "i", common::Role::ROLE_CLINICIAN}, "c", req, "r-1", RequestId::kRequired));
  EXPECT_EQ(a.idempotency_key, std::string("referral/i\0clinician\0alice\0r-1", 30));
  EXPECT_NE(a.idempotency_key, b.idempotency_key);
  // The same subject name at another institution, or in another role, is another principal.
  ASSERT_OK_AND_ASSIGN(auto elsewhere, CallOf("referral", {"alice", "j", common::Role::ROLE_CLINICIAN}, "c", req, "r-1",
                                              RequestId::kRequired));
  ASSERT_OK_AND_ASSIGN(auto office, CallOf("referral", {"alice", "i", common::Role::ROLE_REFERRAL_OFFICE}, "c", req,
                                           "r-1", RequestId::kRequired));
  EXPECT_NE(a.idempotency_key, elsewhere.idempotency_key);
  EXPECT_NE(a.idempotency_key, office.idempotency_key);
  EXPECT_NE(elsewhere.idempotency_key, office.idempotency_key);
  EXPECT_EQ(a.request_hash, eventstore::RequestFingerprint(req));
  EXPECT_EQ(CallOf("referral", {}, "c", req, "", RequestId::kRequired).status().code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_OK_AND_ASSIGN(auto none, CallOf("registry", {}, "c", req, "", RequestId::kOptional));
  EXPECT_EQ(none.idempotency_key, "");
  auto too_long = CallOf("referral", {}, "c", req, std::string(129, 'x'), RequestId::kOptional);
  EXPECT_EQ(too_long.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(too_long.status().message().find("at most 128"), std::string::npos);
}

TEST(CallTest, VersionChecks) {
  EXPECT_OK(CheckVersion("case", "c1", 3, 0));
  EXPECT_OK(CheckVersion("case", "c1", 3, 3));
  EXPECT_EQ(CheckVersion("case", "c1", 3, -1).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckVersion("case", "c1", 3, 2).message(), "case \"c1\" is at version 3, not 2; re-read and retry");
  // Nothing to re-read: an unknown aggregate with an expected version is not found, not aborted.
  EXPECT_EQ(CheckVersion("case", "c9", 0, 4).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(CheckVersion("case", "c9", 0, 4).message(), "no case \"c9\" (expected version 4)");
}

TEST(StripeLocksTest, OverlappingSetsTakenInAnyOrderNeverDeadlock) {
  StripeLocks locks;
  std::atomic<int> inside = 0, max_inside = 0;
  auto work = [&](std::vector<std::string_view> ids) {
    for (int i = 0; i < 2000; ++i) {
      auto held = locks.LockAll(ids);
      const int now = ++inside;
      int seen = max_inside.load();
      while (now > seen && !max_inside.compare_exchange_weak(seen, now)) {
      }
      --inside;
    }
  };
  std::thread t1(work, std::vector<std::string_view>{"a", "b"});
  std::thread t2(work, std::vector<std::string_view>{"b", "a", "b"});
  t1.join();
  t2.join();
  EXPECT_EQ(max_inside.load(), 1);  // both sets share "b": never inside together
}

}  // namespace
}  // namespace yilian::command
