// yilian-loadgen: drives the running platform (as scripts/run.sh starts it) over gRPC with a
// mix of operations at a fixed rate or closed-loop concurrency, then measures this machine's
// ceiling (empty unary calls) and prints per operation count, errors, throughput, latency
// percentiles and the ratio to the ceiling. See README.md.
//
// Exit codes: 0 the run completed; 2 usage error; 4 the platform cannot be reached.
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "driver.h"
#include "home.h"
#include "mix.h"
#include "operations.h"
#include "propagation.h"
#include "report.h"

using namespace yilian::loadgen;

namespace {

constexpr int kUsage = 2, kUnreachable = 4;

int Usage(const std::string& what) {
  std::fprintf(stderr, "yilian-loadgen: %s\n", what.c_str());
  return kUsage;
}

// One load stream: the mix (op unset) or a dedicated operation.
struct Stream {
  std::string label;
  Mix mix;
  int concurrency = 0;
  double rate = 0;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"yilian-loadgen: load the running Yilian platform over gRPC (see tools/loadgen/README.md)"};
  const char* env_home = std::getenv("YILIAN_HOME");
  std::string home_dir = env_home != nullptr ? env_home : ".yilian";
  std::string mix_text = "submit:60,lifecycle:10,case:10,board:15,replay:5", tag;
  std::vector<std::string> op_texts;
  int concurrency = 0, max_inflight = 64, ceiling_concurrency = 0, replay_batch = 100, timeout_ms = 5000;
  double rate = 0, duration = 30, warmup = 5, ceiling_seconds = 5;
  uint64_t seed = 1;
  bool json = false;
  app.add_option("--home", home_dir,
                 "the platform's YILIAN_HOME (addresses and tokens; default $YILIAN_HOME or .yilian)");
  app.add_option("--mix", mix_text,
                 "weights of the mix stream: name:weight,... over submit, lifecycle, case, board, replay")
      ->capture_default_str();
  app.add_option("--concurrency", concurrency, "the mix closed loop: this many callers back to back")
      ->check(CLI::Range(1, 4096));
  app.add_option("--rate", rate, "the mix open loop: this many operations per second")->check(CLI::Range(0.001, 1e6));
  app.add_option("--op", op_texts, "a dedicated stream of one operation: name:conc=N or name:rate=R (repeatable)");
  app.add_option("--duration", duration, "measured seconds")->check(CLI::Range(0.1, 86400.0))->capture_default_str();
  app.add_option("--warmup", warmup, "seconds of load before measuring")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  app.add_option("--max-inflight", max_inflight, "open loop: workers per stream (most calls in flight)")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  app.add_option("--ceiling-seconds", ceiling_seconds, "seconds of empty calls for the ceiling (0: skip it)")
      ->check(CLI::Range(0.0, 600.0))
      ->capture_default_str();
  app.add_option("--ceiling-concurrency", ceiling_concurrency,
                 "callers of the ceiling (default: the run's closed-loop callers, or 16)")
      ->check(CLI::Range(1, 4096));
  app.add_option("--replay-batch", replay_batch, "entries per replay batch")
      ->check(CLI::Range(1, 5000))
      ->capture_default_str();
  app.add_option("--timeout-ms", timeout_ms, "deadline of each call")
      ->check(CLI::Range(1, 600000))
      ->capture_default_str();
  app.add_option("--seed", seed, "seed of the mix's choices")->capture_default_str();
  app.add_option("--tag", tag, "makes this run's request ids unique (default: from the clock)");
  app.add_flag("--json", json, "print the report as one JSON object");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : kUsage;
  }

  // The streams: the mix (closed or open loop), then each --op.
  if (concurrency > 0 && rate > 0)
    return Usage("--concurrency (closed loop) and --rate (open loop) exclude each other");
  std::vector<Stream> streams;
  const bool mix_stream = concurrency > 0 || rate > 0 || op_texts.empty();
  if (mix_stream) {
    auto mix = ParseMix(mix_text);
    if (!mix.ok()) return Usage(std::string(mix.status().message()));
    if (mix->Empty()) return Usage("--mix is empty and no --op is given: nothing to run");
    if (concurrency == 0 && rate == 0) concurrency = 16;
    streams.push_back({absl::StrCat("mix ", MixToString(*mix)), *mix, concurrency, rate});
  }
  for (const auto& text : op_texts) {
    auto spec = ParseStreamSpec(text);
    if (!spec.ok()) return Usage(std::string(spec.status().message()));
    Stream s{absl::StrCat("op ", text), {}, spec->concurrency, spec->rate};
    s.mix.weight[static_cast<size_t>(spec->op)] = 1;
    streams.push_back(s);
  }
  int closed_callers = 0;
  std::vector<std::string> described;
  nlohmann::json streams_json = nlohmann::json::array();
  for (const auto& s : streams) {
    closed_callers += s.concurrency;
    described.push_back(s.concurrency > 0 ? absl::StrCat(s.label, " closed loop x", s.concurrency)
                                          : absl::StrCat(s.label, " open loop at ", s.rate, "/s"));
    streams_json.push_back({{"what", s.label}, {"concurrency", s.concurrency}, {"rate", s.rate}});
  }
  if (ceiling_concurrency == 0) ceiling_concurrency = closed_callers > 0 ? closed_callers : 16;
  if (tag.empty()) tag = absl::StrCat(absl::ToUnixMicros(absl::Now()) % 100000000000LL);

  auto home = ReadHome(home_dir, kServices, kPrincipals);
  if (!home.ok()) {
    std::fprintf(stderr, "yilian-loadgen: cannot reach the platform: %s\n",
                 std::string(home.status().message()).c_str());
    return kUnreachable;
  }
  Operations ops(*home, {tag, replay_batch, std::chrono::milliseconds(timeout_ms)});
  if (auto s = ops.Reachable(std::chrono::milliseconds(3000)); !s.ok()) {
    std::fprintf(stderr, "yilian-loadgen: cannot reach the platform: %s\n", std::string(s.message()).c_str());
    return kUnreachable;
  }

  std::fprintf(stderr, "yilian-loadgen: %s; warm-up %.0f s, measuring %.0f s\n", absl::StrJoin(described, "; ").c_str(),
               warmup, duration);
  const Window window = Window::From(Clock::now(), warmup, duration);
  // Propagation: the consumers' histograms when the measured window begins, and after it.
  const PropagationProbe probe(*home);
  absl::StatusOr<ConsumerStatuses> propagation_before = absl::UnknownError("not read");
  std::thread probe_start([&] {
    std::this_thread::sleep_until(window.measure_begin);
    propagation_before = probe.Read();
  });
  std::vector<Tally> tallies(streams.size());
  std::vector<int64_t> behind(streams.size(), 0);
  std::vector<std::thread> runners;
  for (size_t i = 0; i < streams.size(); ++i)
    runners.emplace_back([&, i] {
      const Stream& s = streams[i];
      const uint64_t stream_seed = seed + 0x100000000ULL * i;
      const Work work = [&](int64_t ticket, Clock::time_point started, Tally* tally) {
        ops.Run(Pick(s.mix, UniformFor(stream_seed, static_cast<uint64_t>(ticket))), started, tally);
      };
      if (s.concurrency > 0) {
        tallies[i] = RunClosed(s.concurrency, window, work);
      } else {
        OpenResult r = RunOpen(OpenLoopSchedule(s.rate, window.start), max_inflight, window, 10, work);
        tallies[i] = std::move(r.tally);
        behind[i] = r.behind;
      }
    });
  for (auto& t : runners) t.join();
  probe_start.join();
  bool caught_up = false;
  auto propagation_after = probe.ReadCaughtUp(absl::Seconds(120), &caught_up);
  Tally all;
  int64_t all_behind = 0;
  for (size_t i = 0; i < streams.size(); ++i) {
    all.Merge(tallies[i]);
    all_behind += behind[i];
  }

  Tally ceiling;
  Window ceiling_window;
  if (ceiling_seconds > 0) {
    std::fprintf(stderr, "yilian-loadgen: ceiling: empty calls at %d for %.0f s\n", ceiling_concurrency,
                 ceiling_seconds);
    ceiling_window = Window::From(Clock::now(), 1, ceiling_seconds);
    ceiling = RunClosed(ceiling_concurrency, ceiling_window,
                        [&](int64_t, Clock::time_point started, Tally* tally) { ops.Ping(started, tally); });
  }
  const auto ceiling_row = ceiling.rows().find("ceiling");
  Report report = BuildReport(all, Operations::RowOrder(), window.MeasuredSeconds(),
                              ceiling_row == ceiling.rows().end() ? nullptr : &ceiling_row->second,
                              ceiling_window.MeasuredSeconds());
  report.behind_schedule = all_behind;
  if (!propagation_before.ok() || !propagation_after.ok()) {
    report.propagation_note =
        absl::StrCat("not measured: ",
                     (propagation_before.ok() ? propagation_after.status() : propagation_before.status()).message());
  } else {
    report.propagation = PropagationFigures(*propagation_before, *propagation_after, window.MeasuredSeconds());
    if (!caught_up)
      report.propagation_note = "the consumers were still behind 120 s after the run: the slowest events are missing";
  }
  report.ceiling_concurrency = ceiling_concurrency;
  report.ceiling_target = ops.ceiling_target();
  const unsigned cpus = std::thread::hardware_concurrency();
  report.setup = absl::StrCat("yilian-loadgen: ", absl::StrJoin(described, "; "), "; ", duration, " s measured after ",
                              warmup, " s warm-up; ", cpus, " CPUs shared with the platform");
  report.setup_json = {{"streams", streams_json},
                       {"duration_s", duration},
                       {"warmup_s", warmup},
                       {"max_inflight", max_inflight},
                       {"timeout_ms", timeout_ms},
                       {"home", home_dir},
                       {"tag", tag},
                       {"seed", seed},
                       {"cpus", cpus}};
  if (json)
    std::printf("%s\n", ToJson(report).dump().c_str());
  else
    std::printf("%s", RenderText(report).c_str());
  return 0;
}
