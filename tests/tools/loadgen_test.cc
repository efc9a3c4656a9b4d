// yilian-loadgen's pure parts: --mix and --op parsing (good input and precise errors), the
// weighted choice, the open loop's intended send times, the tally, the report's figures and
// its JSON, and reading the platform's home directory. No network, no sleeps, no timings.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <random>

#include "home.h"
#include "mix.h"
#include "propagation.h"
#include "report.h"
#include "schedule.h"
#include "tally.h"
#include "yilian/bus/propagation.h"
#include "yilian/testing/temp_dir.h"

namespace yilian::loadgen {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

int64_t W(const Mix& m, Op op) { return m.weight[static_cast<size_t>(op)]; }

std::string MixError(const std::string& text) {
  auto m = ParseMix(text);
  EXPECT_FALSE(m.ok()) << text;
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument) << text;
  return std::string(m.status().message());
}

std::string SpecError(const std::string& text) {
  auto s = ParseStreamSpec(text);
  EXPECT_FALSE(s.ok()) << text;
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument) << text;
  return std::string(s.status().message());
}

TEST(MixTest, ParsesTheDefaultMix) {
  auto m = ParseMix("submit:60,lifecycle:10,case:10,board:15,replay:5");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(W(*m, Op::kSubmit), 60);
  EXPECT_EQ(W(*m, Op::kLifecycle), 10);
  EXPECT_EQ(W(*m, Op::kCase), 10);
  EXPECT_EQ(W(*m, Op::kBoard), 15);
  EXPECT_EQ(W(*m, Op::kReplay), 5);
  EXPECT_EQ(m->Total(), 100);
  EXPECT_EQ(MixToString(*m), "submit:60,lifecycle:10,case:10,board:15,replay:5");
}

TEST(MixTest, OmittedAndZeroWeightsNeverRun) {
  auto m = ParseMix("board:3,case:0");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(W(*m, Op::kBoard), 3);
  EXPECT_EQ(W(*m, Op::kCase), 0);
  EXPECT_EQ(W(*m, Op::kSubmit), 0);
  EXPECT_EQ(MixToString(*m), "board:3");
  for (double u : {0.0, 0.5, 0.999999}) EXPECT_EQ(Pick(*m, u), Op::kBoard);
}

TEST(MixTest, TheEmptyStringIsTheEmptyMix) {
  auto m = ParseMix("");
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->Empty());
}

TEST(MixTest, BadMixesSayWhatIsWrong) {
  EXPECT_EQ(MixError("submit"), "--mix entry \"submit\" is not name:weight (e.g. submit:60)");
  EXPECT_EQ(MixError("submit:60,"), "--mix entry \"\" is not name:weight (e.g. submit:60)");
  EXPECT_EQ(MixError("submit:1:2"), "--mix entry \"submit:1:2\" is not name:weight (e.g. submit:60)");
  EXPECT_EQ(MixError("sbmit:60"), "--mix: unknown operation \"sbmit\"; known: submit, lifecycle, case, board, replay");
  EXPECT_EQ(MixError("submit:lots"), "--mix: the weight of submit (\"lots\") is not a whole number 0..1000000");
  EXPECT_EQ(MixError("submit:-1"), "--mix: the weight of submit (\"-1\") is not a whole number 0..1000000");
  EXPECT_EQ(MixError("submit:2.5"), "--mix: the weight of submit (\"2.5\") is not a whole number 0..1000000");
  EXPECT_EQ(MixError("submit:1000001"), "--mix: the weight of submit (\"1000001\") is not a whole number 0..1000000");
  EXPECT_EQ(MixError("case:1,case:2"), "--mix names case twice");
  EXPECT_EQ(MixError("submit:0,board:0"), "--mix weights add up to 0; give at least one operation a positive weight");
}

TEST(MixTest, PickFollowsTheCumulativeWeightsInOrder) {
  auto m = ParseMix("submit:60,board:40");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(Pick(*m, 0.0), Op::kSubmit);
  EXPECT_EQ(Pick(*m, 0.5999), Op::kSubmit);
  EXPECT_EQ(Pick(*m, 0.6), Op::kBoard);
  EXPECT_EQ(Pick(*m, 0.99999999), Op::kBoard);
}

TEST(MixTest, TicketDrawsAreDeterministicUniformAndFollowTheWeights) {
  EXPECT_EQ(UniformFor(7, 123), UniformFor(7, 123));
  EXPECT_NE(UniformFor(7, 123), UniformFor(8, 123));
  EXPECT_NE(UniformFor(7, 123), UniformFor(7, 124));
  auto m = ParseMix("submit:60,lifecycle:10,case:10,board:15,replay:5");
  ASSERT_TRUE(m.ok());
  std::array<int, kAllOps.size()> seen{};
  constexpr int kDraws = 200000;
  for (uint64_t i = 0; i < kDraws; ++i) {
    const double u = UniformFor(1, i);
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    ++seen[static_cast<size_t>(Pick(*m, u))];
  }
  for (Op op : kAllOps)  // within one percentage point of the weight
    EXPECT_NEAR(100.0 * seen[static_cast<size_t>(op)] / kDraws, static_cast<double>(W(*m, op)), 1.0) << OpName(op);
}

TEST(StreamSpecTest, ParsesClosedAndOpenStreams) {
  auto c = ParseStreamSpec("case:conc=16");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->op, Op::kCase);
  EXPECT_EQ(c->concurrency, 16);
  EXPECT_EQ(c->rate, 0);
  auto r = ParseStreamSpec("submit:rate=1400.5");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->op, Op::kSubmit);
  EXPECT_EQ(r->concurrency, 0);
  EXPECT_DOUBLE_EQ(r->rate, 1400.5);
}

TEST(StreamSpecTest, BadStreamsSayWhatIsWrong) {
  const std::string shape = " is not name:conc=N or name:rate=R (e.g. case:conc=16, submit:rate=1400)";
  EXPECT_EQ(SpecError("case"), "--op \"case\"" + shape);
  EXPECT_EQ(SpecError("case:conc"), "--op \"case:conc\"" + shape);
  EXPECT_EQ(SpecError("case:speed=3"), "--op \"case:speed=3\"" + shape);
  EXPECT_EQ(SpecError("cases:conc=3"),
            "--op: unknown operation \"cases\"; known: submit, lifecycle, case, board, replay");
  EXPECT_EQ(SpecError("case:conc=0"), "--op case:conc=0: conc must be a whole number 1..4096");
  EXPECT_EQ(SpecError("case:conc=1.5"), "--op case:conc=1.5: conc must be a whole number 1..4096");
  EXPECT_EQ(SpecError("submit:rate=-5"),
            "--op submit:rate=-5: rate must be a number of calls/s above 0, at most 1000000");
  EXPECT_EQ(SpecError("submit:rate=fast"),
            "--op submit:rate=fast: rate must be a number of calls/s above 0, at most 1000000");
}

TEST(ScheduleTest, IntendedTimesAreStartPlusIOverRate) {
  const Clock::time_point t0{seconds(1000)};
  OpenLoopSchedule s(1000, t0);
  EXPECT_EQ(s.Intended(0), t0);
  EXPECT_EQ(s.Intended(1), t0 + milliseconds(1));
  EXPECT_EQ(s.Intended(1500), t0 + milliseconds(1500));
  // They do not depend on when earlier calls happened: a far ticket is exact, without drift.
  EXPECT_EQ(s.Intended(3600LL * 1000 * 24), t0 + seconds(3600 * 24));
}

TEST(ScheduleTest, UnevenPeriodsRoundEachTimeNotTheSum) {
  const Clock::time_point t0{seconds(5)};
  OpenLoopSchedule s(3, t0);
  EXPECT_EQ(s.Intended(1), t0 + nanoseconds(333333333));
  EXPECT_EQ(s.Intended(2), t0 + nanoseconds(666666667));
  EXPECT_EQ(s.Intended(3), t0 + seconds(1));
  EXPECT_EQ(s.Intended(3000), t0 + seconds(1000));
}

TEST(ScheduleTest, DueBeforeCountsTheCallsOfAWindow) {
  const Clock::time_point t0{seconds(5)};
  OpenLoopSchedule s(1000, t0);
  EXPECT_EQ(s.DueBefore(t0 - seconds(1)), 0);
  EXPECT_EQ(s.DueBefore(t0), 0);
  EXPECT_EQ(s.DueBefore(t0 + nanoseconds(1)), 1);
  EXPECT_EQ(s.DueBefore(t0 + milliseconds(1)), 1);
  EXPECT_EQ(s.DueBefore(t0 + milliseconds(1) + nanoseconds(1)), 2);
  EXPECT_EQ(s.DueBefore(t0 + seconds(35)), 35000);
  OpenLoopSchedule third(3, t0);
  EXPECT_EQ(third.DueBefore(t0 + seconds(1)), 3);
  EXPECT_EQ(third.DueBefore(t0 + seconds(1) + nanoseconds(1)), 4);
}

TEST(ScheduleTest, TheWindowMeasuresAfterTheWarmUp) {
  const Clock::time_point t0{seconds(100)};
  const Window w = Window::From(t0, 5, 30);
  EXPECT_EQ(w.measure_begin, t0 + seconds(5));
  EXPECT_EQ(w.end, t0 + seconds(35));
  EXPECT_DOUBLE_EQ(w.MeasuredSeconds(), 30);
  EXPECT_FALSE(w.Measured(t0));
  EXPECT_FALSE(w.Measured(t0 + seconds(5) - nanoseconds(1)));
  EXPECT_TRUE(w.Measured(t0 + seconds(5)));
  EXPECT_TRUE(w.Measured(t0 + seconds(35) - nanoseconds(1)));
  EXPECT_FALSE(w.Measured(t0 + seconds(35)));
  // At 1000/s, the measured window holds exactly 30,000 intended calls.
  OpenLoopSchedule s(1000, t0);
  EXPECT_EQ(s.DueBefore(w.end) - s.DueBefore(w.measure_begin), 30000);
}

TEST(TallyTest, CountsSuccessesAndFailuresByCode) {
  Tally a, b;
  a.Record("submit", 0, 2.0);
  a.Record("submit", 14, 9.0);
  a.Record("replay", 0, 1.0, 7);
  b.Record("submit", 0, 3.0);
  b.Record("submit", 4, 5000.0);
  b.Record("submit", 14, 1.0);
  a.Merge(b);
  const RowData& s = a.rows().at("submit");
  EXPECT_EQ(s.count, 5);
  EXPECT_EQ(s.latency_ms, (std::vector<double>{2.0, 3.0}));  // failures have no latency figure
  EXPECT_EQ(s.errors, (std::map<std::string, int64_t>{{"DEADLINE_EXCEEDED", 1}, {"UNAVAILABLE", 2}}));
  EXPECT_EQ(s.Failed(), 3);
  EXPECT_EQ(a.rows().at("replay").items, 7);
  EXPECT_EQ(CodeName(0), "OK");
  EXPECT_EQ(CodeName(16), "UNAUTHENTICATED");
  EXPECT_EQ(CodeName(99), "99");
}

RowData OneToThousand() {
  RowData d;
  for (int i = 1; i <= 1000; ++i) d.latency_ms.push_back(i);
  std::shuffle(d.latency_ms.begin(), d.latency_ms.end(), std::mt19937(42));
  d.count = 1003;
  d.errors["UNAVAILABLE"] = 3;
  return d;
}

TEST(ReportTest, FiguresOfARow) {
  const Figures f = Summarise("submit", OneToThousand(), 4.0, 2000.0);
  EXPECT_EQ(f.count, 1003);
  EXPECT_EQ(f.ok, 1000);
  EXPECT_EQ(f.failed, 3);
  EXPECT_DOUBLE_EQ(f.per_second, 250.0);  // successful calls per measured second
  EXPECT_DOUBLE_EQ(f.p50, 501);           // the value at index floor(p * n) of the sorted latencies
  EXPECT_DOUBLE_EQ(f.p90, 901);
  EXPECT_DOUBLE_EQ(f.p99, 991);
  EXPECT_DOUBLE_EQ(f.p999, 1000);
  EXPECT_DOUBLE_EQ(f.max, 1000);
  EXPECT_DOUBLE_EQ(f.ceiling_ratio, 0.125);
}

TEST(ReportTest, ARowWithoutSuccessesOrCeiling) {
  RowData d;
  d.count = 2;
  d.errors["PERMISSION_DENIED"] = 2;
  const Figures f = Summarise("replay", d, 10.0, 0);
  EXPECT_EQ(f.ok, 0);
  EXPECT_EQ(f.failed, 2);
  EXPECT_EQ(f.per_second, 0);
  EXPECT_EQ(f.p99, 0);
  EXPECT_EQ(f.max, 0);
  EXPECT_EQ(f.ceiling_ratio, -1);
}

TEST(ReportTest, RowsComeInTheGivenOrderThenByName) {
  Tally t;
  t.Record("zeta", 0, 1);
  t.Record("case/open", 0, 1);
  t.Record("case", 0, 1);
  t.Record("alpha", 0, 1);
  t.Record("submit", 0, 1);
  const Report r = BuildReport(t, {"submit", "lifecycle", "case", "case/open"}, 1.0, nullptr, 0);
  std::vector<std::string> names;
  for (const auto& f : r.rows) names.push_back(f.name);
  EXPECT_EQ(names, (std::vector<std::string>{"submit", "case", "case/open", "alpha", "zeta"}));
  EXPECT_FALSE(r.has_ceiling);
}

TEST(ReportTest, TextAndJsonCarryTheFiguresAndTheCeiling) {
  Tally t;
  RowData submit = OneToThousand();
  for (double ms : submit.latency_ms) t.Record("submit", 0, ms);
  t.Record("submit", 14, 1);
  t.Record("submit", 4, 1);
  t.Record("replay", 0, 3.0, 500);
  RowData ceiling;
  for (int i = 0; i < 8000; ++i) ceiling.latency_ms.push_back(0.5);
  ceiling.count = 8000;
  Report r = BuildReport(t, {"submit", "replay"}, 2.0, &ceiling, 1.0);
  r.setup = "yilian-loadgen: test";
  r.ceiling_concurrency = 16;
  r.ceiling_target = "127.0.0.1:1234";
  r.behind_schedule = 5;
  ASSERT_TRUE(r.has_ceiling);
  EXPECT_DOUBLE_EQ(r.ceiling.per_second, 8000);
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_DOUBLE_EQ(r.rows[0].per_second, 500);
  EXPECT_DOUBLE_EQ(r.rows[0].ceiling_ratio, 500.0 / 8000);

  const std::string text = RenderText(r);
  EXPECT_NE(text.find("yilian-loadgen: test\n"), std::string::npos) << text;
  EXPECT_NE(text.find("submit"), std::string::npos) << text;
  EXPECT_NE(text.find("0.062"), std::string::npos) << text;  // the ratio to the ceiling
  EXPECT_NE(text.find("errors of submit: DEADLINE_EXCEEDED 1, UNAVAILABLE 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("replay: 500 entries streamed, 250/s\n"), std::string::npos) << text;
  EXPECT_NE(text.find("closed loop at 16"), std::string::npos) << text;
  EXPECT_NE(text.find("5 open-loop calls were never sent"), std::string::npos) << text;

  const nlohmann::json j = ToJson(r);
  EXPECT_EQ(j["measured_seconds"], 2.0);
  EXPECT_EQ(j["behind_schedule"], 5);
  EXPECT_EQ(j["rows"][0]["name"], "submit");
  EXPECT_EQ(j["rows"][0]["count"], 1002);
  EXPECT_EQ(j["rows"][0]["ok"], 1000);
  EXPECT_EQ(j["rows"][0]["errors"]["UNAVAILABLE"], 1);
  EXPECT_EQ(j["rows"][0]["latency_ms"]["p50"], 501.0);
  EXPECT_EQ(j["rows"][0]["latency_ms"]["p999"], 1000.0);
  EXPECT_DOUBLE_EQ(j["rows"][0]["ceiling_ratio"].get<double>(), 0.0625);
  EXPECT_EQ(j["rows"][1]["items"], 500);
  EXPECT_EQ(j["ceiling"]["per_second"], 8000.0);
  EXPECT_EQ(j["ceiling"]["concurrency"], 16);
  EXPECT_EQ(j["ceiling"]["target"], "127.0.0.1:1234");
}

TEST(PropagationReportTest, RowsPerSourceAndConsumerCoverOnlyTheWindow) {
  bus::PropagationHistogram audit, referral;
  for (int i = 0; i < 100; ++i) audit.Observe("referral", absl::Milliseconds(900));  // before the window
  ConsumerStatuses before;
  audit.ToProto(before["audit"].mutable_propagation());
  for (int i = 0; i < 99; ++i) audit.Observe("referral", absl::Milliseconds(3));
  audit.Observe("referral", absl::Milliseconds(30));
  for (int i = 0; i < 10; ++i) referral.Observe("registry", absl::Milliseconds(5));  // a consumer seen only after
  bus::PropagationHistogram quiet;
  quiet.Observe("registry", absl::Milliseconds(1));
  quiet.ToProto(before["greenchannel"].mutable_propagation());
  ConsumerStatuses after;
  audit.ToProto(after["audit"].mutable_propagation());
  quiet.ToProto(after["greenchannel"].mutable_propagation());  // nothing new: no row
  referral.ToProto(after["referral"].mutable_propagation());

  const std::vector<Figures> rows = PropagationFigures(before, after, 2.0);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].name, "referral -> audit");
  EXPECT_EQ(rows[0].count, 100);
  EXPECT_DOUBLE_EQ(rows[0].per_second, 50);
  const auto bound = [](double ms) {
    return bus::PropagationHistogram::UpperBoundMs(bus::PropagationHistogram::BucketOf(ms));
  };
  EXPECT_DOUBLE_EQ(rows[0].p50, bound(3));
  EXPECT_DOUBLE_EQ(rows[0].p99, bound(3));
  EXPECT_DOUBLE_EQ(rows[0].p999, bound(30));
  EXPECT_DOUBLE_EQ(rows[0].max, bound(30)) << "900 ms before the window is not the window's maximum";
  EXPECT_EQ(rows[1].name, "registry -> referral");
  EXPECT_EQ(rows[1].count, 10);
  EXPECT_DOUBLE_EQ(rows[1].max, 5) << "a maximum the window raised is exact";

  Report r;
  r.propagation = rows;
  const std::string text = RenderText(r);
  EXPECT_NE(text.find("propagation (commit->applied)"), std::string::npos) << text;
  EXPECT_NE(text.find("referral -> audit"), std::string::npos) << text;
  const nlohmann::json j = ToJson(r);
  EXPECT_EQ(j["propagation"][1]["name"], "registry -> referral");
  EXPECT_EQ(j["propagation"][1]["count"], 10);
}

void Write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

TEST(HomeTest, ReadsAddressesAndTrimmedTokens) {
  testing::TempDir dir;
  Write(dir.Sub("referral.addr"), "127.0.0.1:40001\n");
  Write(dir.Sub("lead.token"), "  abc123\n");
  auto home = ReadHome(dir.path(), {"referral"}, {"lead"});
  ASSERT_TRUE(home.ok()) << home.status();
  EXPECT_EQ(home->address.at("referral"), "127.0.0.1:40001");
  EXPECT_EQ(home->token.at("lead"), "abc123");
}

TEST(HomeTest, AMissingOrEmptyFileNamesItAndSaysHowToStart) {
  testing::TempDir dir;
  Write(dir.Sub("referral.addr"), "127.0.0.1:40001\n");
  Write(dir.Sub("audit.addr"), "\n");
  auto missing = ReadHome(dir.path(), {"referral", "greenchannel"}, {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(),
            dir.path() +
                "/greenchannel.addr (the greenchannel service's address) is missing or empty: is the "
                "platform running? Start it with YILIAN_HOME=" +
                dir.path() + " scripts/run.sh");
  auto empty = ReadHome(dir.path(), {"audit"}, {});
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("audit.addr"), absl::string_view::npos);
  auto token = ReadHome(dir.path(), {"referral"}, {"auditor"});
  ASSERT_FALSE(token.ok());
  EXPECT_NE(token.status().message().find("auditor.token (the auditor bearer token)"), absl::string_view::npos);
}

}  // namespace
}  // namespace yilian::loadgen
