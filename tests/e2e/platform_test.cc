// The platform as separate processes, as scripts/run.sh starts it: the embedded broker and
// the four services, each its own process with its own data directory. The demo scenario
// (scripts/demo.sh, through yilianctl) runs and its every step is checked; then each service
// in turn is killed with SIGKILL in the middle of work and restarted, and the scenario runs
// again: every acknowledged command is still there, nothing is done twice, every follower
// converges on its sources and the audit chain verifies. The broker, too, is killed in the
// middle of work and restarted (empty, on new ports): the services follow it through its
// bootstrap file, nothing acknowledged is lost, and new flows cross it. Bad input at the edge
// gets a precise error and the services keep serving. Every service logs JSON records, and a
// referral's flow id is found in the logs of both services its bed saga crosses.
#include "platform_fixture.h"

namespace yilian::e2e {
namespace {

TEST_F(PlatformTest, DemoScenarioSurvivesEachServiceKilledAndRestarted) {
  const Out first = Demo();
  ASSERT_EQ(first.code, 0) << first.text;
  for (const char* step : {"submitted ref-", "lead hospital: ACCEPTED", "bed board answered; referral is READY",
                           "patient arrived: IN_PROGRESS", "downward referral to the community centre: ref-",
                           "bed held at", "door-to-needle: 38 min (target 60, met: true)", "verify: intact: true",
                           // the lead hospital's worklist watch, every change of its referral once, in order
                           "worklist watch saw: ReferralSubmitted ReferralReceived ReferralAccepted BedRequested "
                           "BedRequestAnswered PatientArrived ReferredPatientAdmitted ReferralCompleted",
                           // the destination's inbound view and its acknowledgement
                           "inbound at loudi-1st: case-", "pre-notification acknowledged by loudi-1st"})
    EXPECT_NE(first.text.find(step), std::string::npos) << step << "\n" << first.text;
  const std::string id = first.text.substr(first.text.find("submitted ") + 10, 24);

  // Structured logs: the referral's flow id is in the records of both services its bed saga
  // crossed (the referral's writer and the bed board's intake), and every line is a record.
  const std::string flow =
      Get("township", {"referral", "get-referral", "--set", "referral_id=" + id, "--get", "referral.correlation_id"});
  ASSERT_FALSE(flow.empty());
  for (const char* service : {"referral", "greenchannel"}) {
    int tagged = 0;
    for (const auto& r : LogRecords(service)) tagged += r.value("correlation_id", "") == flow;
    EXPECT_GT(tagged, 0) << service << " has no record of flow " << flow;
  }

  for (const auto& victim : kServices) {
    // Work in flight while it dies: a burst of referrals racing the SIGKILL.
    auto burst = Burst(victim);
    Stop(victim, SIGKILL);
    const auto acknowledged = Acknowledged(*burst);
    const auto restarted = std::chrono::steady_clock::now();
    Start(victim);
    if (victim != "registry") {  // a consumer: how long until it has its partitions again
      ASSERT_TRUE(testing::WaitFor([&] { return Consuming(victim); }, std::chrono::seconds(120))) << victim;
      const auto ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - restarted);
      std::cout << victim << ": from restart to consuming " << ms.count() << " ms (goal 5000)" << std::endl;
      RecordProperty(victim + "_restart_to_consuming_ms", static_cast<int>(ms.count()));
    }
    ExpectStillThere(acknowledged, victim);  // every acknowledged submission survived the kill
    const Out again = Demo();
    ASSERT_EQ(again.code, 0) << victim << "\n" << again.text;
    EXPECT_NE(again.text.find("submitted " + id), std::string::npos) << again.text;  // the same referral
  }
  // Nothing done twice: the referral's timeline is still its 8 events.
  EXPECT_EQ(
      Get("township", {"referral", "get-referral", "--set", "referral_id=" + id, "--get", "timeline.7.event_type"}),
      "ReferralCompleted");
  EXPECT_EQ(Get("township", {"referral", "get-referral", "--set", "referral_id=" + id, "--get", "timeline.8"}), "");
  // Every follower converges: the audit has every entry of every source, its chain intact.
  EXPECT_TRUE(testing::WaitFor([&] { return AuditCaughtUp(); }, std::chrono::seconds(120)));
  EXPECT_EQ(Get("auditor", {"audit", "verify", "--get", "intact"}), "true");
}

TEST_F(PlatformTest, BrokerKilledAndRestartedMidScenarioLosesNothing) {
  const Out first = Demo();
  ASSERT_EQ(first.code, 0) << first.text;
  // Submissions racing the broker's SIGKILL need no broker: they are acknowledged once
  // durable in the referral journal, and reach the others when a broker is back.
  auto burst = Burst("broker");
  broker_->Signal(SIGKILL);
  broker_->Wait();
  StartBroker();  // empty, on new ports: the services follow its bootstrap file
  const auto acknowledged = Acknowledged(*burst);
  EXPECT_FALSE(acknowledged.empty());
  ExpectStillThere(acknowledged, "broker");
  // A new flow crosses the new broker both ways: the bed request out, the board's answer back.
  const Out after = Demo("after-broker");
  ASSERT_EQ(after.code, 0) << after.text;
  for (const char* step : {"bed board answered; referral is READY", "patient arrived: IN_PROGRESS",
                           "door-to-needle: 38 min (target 60, met: true)", "verify: intact: true"})
    EXPECT_NE(after.text.find(step), std::string::npos) << step << "\n" << after.text;
  // Nothing lost: the audit ends with every entry of every source, once, its chain intact.
  EXPECT_TRUE(testing::WaitFor([&] { return AuditCaughtUp(); }, std::chrono::seconds(180)));
  EXPECT_EQ(Get("auditor", {"audit", "verify", "--get", "intact"}), "true");
  // Each relay noticed the broker had lost what it acknowledged, and published its journal again.
  for (const char* s : {"registry", "referral", "greenchannel"}) {
    int republished = 0;
    for (const auto& r : LogRecords(s))
      republished += r.value("msg", "").find("lost acknowledged messages") != std::string::npos;
    EXPECT_GT(republished, 0) << s;
  }
}

// docs/ROLES.md is the role matrix. It lists every RPC, and every RPC called by each role
// with an empty request is refused exactly where the table says so. The role is checked
// before anything in the request.
TEST_F(PlatformTest, EveryRpcAllowsExactlyTheRolesOfTheRoleMatrix) {
  const std::vector<std::pair<std::string, std::string>> roles = {
      // the table's columns, and a token of each
      {"consortium-admin", "admin"}, {"clinician", "lead"},  {"referral-office", "office"}, {"dispatch", "dispatch"},
      {"auditor", "auditor"},        {"service", "service"}, {"hospital-system", "his"}};
  std::map<std::string, std::vector<std::string>> table;  // "service method" -> cells
  {
    std::ifstream in(YILIAN_SOURCE "/docs/ROLES.md");
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("| `", 0) != 0) continue;
      std::vector<std::string> cells;
      std::stringstream row(line.substr(1));
      for (std::string cell; std::getline(row, cell, '|');) {
        const size_t b = cell.find_first_not_of(" `"), e = cell.find_last_not_of(" `");
        cells.push_back(b == std::string::npos ? "" : cell.substr(b, e - b + 1));
      }
      ASSERT_EQ(cells.size(), roles.size() + 1) << line;
      const std::string rpc = cells.front();
      cells.erase(cells.begin());
      EXPECT_TRUE(table.emplace(rpc, cells).second) << "listed twice: " << rpc;
    }
  }
  // Every RPC yilianctl knows (all of the services' protos) is in the table, and nothing else.
  std::set<std::string> known;
  {
    std::string service;
    std::stringstream list(Ctl("admin", {"list"}).text);
    for (std::string line; std::getline(list, line);) {
      if (line.empty()) continue;
      if (line[0] != ' ') {
        service = line.substr(0, line.find(' '));
        continue;
      }
      if (service == "health") continue;  // no credentials needed
      const size_t b = line.find_first_not_of(' ');
      known.insert(service + " " + line.substr(b, line.find(' ', b) - b));
    }
  }
  std::set<std::string> listed;
  for (const auto& [rpc, cells] : table) listed.insert(rpc);
  EXPECT_EQ(listed, known);

  int checked = 0;
  for (const auto& [rpc, cells] : table) {
    const std::string service = rpc.substr(0, rpc.find(' ')), method = rpc.substr(rpc.find(' ') + 1);
    for (size_t i = 0; i < roles.size(); ++i) {
      if (cells[i] == "own") continue;  // decided by the request's institution: the services' own tests
      ASSERT_TRUE(cells[i] == "yes" || cells[i] == "—") << rpc << ": " << cells[i];
      const std::string on = service == "bus" || service == "feed" ? " --on referral" : "";
      const Out out = Exec({"/usr/bin/env", "YILIAN_HOME=" + root_, "bash", "-c",
                            YILIAN_BIN "/tools/yilianctl --timeout 2 --token-file=" + root_ + "/" + roles[i].second +
                                ".token" + on + " " + rpc + " 2>&1 >/dev/null"});
      const bool denied = out.text.find("PERMISSION_DENIED") != std::string::npos;
      EXPECT_EQ(out.text.find("UNAUTHENTICATED"), std::string::npos) << rpc << " as " << roles[i].first;
      EXPECT_EQ(denied, cells[i] == "—") << rpc << " as " << roles[i].first << ": " << out.text;
      ++checked;
    }
  }
  EXPECT_GT(checked, 250);
}

TEST_F(PlatformTest, BadInputAtTheEdgeGetsAPreciseErrorAndChangesNothing) {
  const std::string before = Get("service", {"feed", "head", "--on", "referral", "--get", "head_sequence"});
  auto missing = Ctl("township", {"referral", "submit", "--set", "request_id=bad-1"});
  EXPECT_EQ(missing.code, 3);
  auto unknown_enum =
      Ctl("township", {"referral", "submit", "--set", "referral.priority=99", "--set", "referral.direction=UPWARD",
                       "--set", "referral.receiver_institution_id=loudi-1st", "--set", "request_id=bad-2"});
  EXPECT_EQ(unknown_enum.code, 3);  // the referral service names the field
  auto wrong_token = Exec({"/usr/bin/env", "YILIAN_HOME=" + root_, YILIAN_BIN "/tools/yilianctl", "--token=nope",
                           "referral", "list-incoming"});
  EXPECT_EQ(wrong_token.code, 3);
  // Larger than the 8 MB message limit.
  {
    std::ofstream big(root_ + "/big.json");
    big << "{\"referral\": {\"reason\": \"" << std::string(9 << 20, 'x') << "\"}, \"request_id\": \"bad-3\"}";
  }
  auto oversized = Ctl("township", {"referral", "submit", "-d", "@" + root_ + "/big.json"});
  EXPECT_EQ(oversized.code, 3);
  EXPECT_EQ(Get("service", {"feed", "head", "--on", "referral", "--get", "head_sequence"}), before);  // nothing written
  // And everyone keeps serving.
  for (const auto& s : {"registry", "referral", "greenchannel", "audit"})
    EXPECT_EQ(Get("service", {"health", "check", "--on", s, "--get", "status"}), "SERVING") << s;
  // And each answers for its services by name, as load balancers and probes ask.
  for (const auto& [s, name] :
       std::vector<std::pair<std::string, std::string>>{{"registry", "yilian.registry.v1.Registry"},
                                                        {"referral", "yilian.referral.v1.Referrals"},
                                                        {"greenchannel", "yilian.greenchannel.v1.GreenChannel"},
                                                        {"audit", "yilian.audit.v1.Audit"},
                                                        {"referral", "yilian.feed.v1.EventFeed"},
                                                        {"referral", "yilian.bus.v1.BusAdmin"}})
    EXPECT_EQ(Get("service", {"health", "check", "--on", s, "--set", "service=" + name, "--get", "status"}), "SERVING")
        << s << " " << name;
  EXPECT_NE(Ctl("service", {"health", "check", "--on", "referral", "--set", "service=yilian.nothing.v1.X"}).code, 0);
}

}  // namespace
}  // namespace yilian::e2e
