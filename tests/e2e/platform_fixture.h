#pragma once
// The platform as separate processes, as scripts/run.sh starts it (for tests/e2e): the
// embedded broker and the four services, each its own process with its own data directory
// under a temp dir, the sample consortia imported, and development tokens of every role;
// helpers to call yilianctl, run the demo, and read the services' JSON logs.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "nlohmann/json.hpp"
#include "yilian/common/sha256.h"
#include "yilian/host/authenticator.h"
#include "yilian/testing/bus_keys.h"
#include "yilian/testing/subprocess.h"
#include "yilian/testing/temp_dir.h"
#include "yilian/testing/wait.h"

namespace yilian::e2e {

using testing::Subprocess;

inline const std::vector<std::string> kServices = {"registry", "referral", "greenchannel", "audit"};

struct Out {
  int code;
  std::string text;
};

inline Out Exec(const std::vector<std::string>& argv) {
  Subprocess p(argv);
  std::string text;
  while (auto line = p.ReadLine()) text += *line + "\n";
  return {p.ExitCode(), text};
}

class PlatformTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = dir_.path();
    const std::map<std::string, std::string> who = {{"admin", "admin@dev - consortium-admin"},
                                                    {"service", "services@dev - service"},
                                                    {"dispatch", "dispatch@dev - dispatch"},
                                                    {"auditor", "auditor@dev - auditor"},
                                                    {"township", "dr.li@qiaotouhe-thc qiaotouhe-thc clinician"},
                                                    {"lead", "dr.zhang@loudi-1st loudi-1st clinician"},
                                                    {"office", "office@loudi-1st loudi-1st referral-office"},
                                                    {"his", "his@loudi-1st loudi-1st hospital-system"}};
    std::ofstream tokens(root_ + "/tokens");
    for (const auto& [name, principal] : who) {
      std::ofstream(root_ + "/" + name + ".token") << "token-" << name;
      tokens << "sha256:" << host::TokenHash("token-" + name) << " " << principal << "\n";
    }
    tokens.close();
    std::ofstream(root_ + "/master.key") << "5b1e0c7a9d2f4e6b8a3c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f00\n";
    std::ofstream(root_ + "/bus.keys") << yilian::testing::TestBusKeysText();
    StartBroker();
    for (const auto& s : kServices) Start(s);
    auto imported = Exec({YILIAN_BIN "/services/registry/yilian-registry-import", "--registry=" + Address("registry"),
                          "--token-file=" + root_ + "/admin.token", YILIAN_SOURCE "/deploy/consortia/sample.yaml"});
    ASSERT_EQ(imported.code, 0) << imported.text;
  }
  void TearDown() override {
    for (auto it = kServices.rbegin(); it != kServices.rend(); ++it) Stop(*it, SIGTERM);
    broker_.reset();
  }

  void StartBroker() {
    std::filesystem::remove(root_ + "/bootstrap");
    broker_ = std::make_unique<Subprocess>(
        std::vector<std::string>{YILIAN_BIN "/tools/yilian-broker", "--bootstrap-file=" + root_ + "/bootstrap"});
    ASSERT_TRUE(testing::WaitFor(
        [&] {
          return std::filesystem::exists(root_ + "/bootstrap") && std::filesystem::file_size(root_ + "/bootstrap") > 0;
        },
        std::chrono::seconds(60)));
  }
  void Start(const std::string& s) {
    std::filesystem::remove(root_ + "/" + s + ".addr");
    std::vector<std::string> argv = {
        YILIAN_BIN "/services/" + s + "/yilian-" + s,  "--data.dir=" + root_ + "/" + s,
        "--kafka.bootstrap=@" + root_ + "/bootstrap",  "--tokens.file=" + root_ + "/tokens",
        "--address.file=" + root_ + "/" + s + ".addr", "--log.level=info",
        "--log.file=" + root_ + "/" + s + ".log",      "--bus.keys_file=" + root_ + "/bus.keys"};
    for (const char* source : {"registry", "referral", "greenchannel"})
      if (s != "registry" && s != source)
        argv.push_back(std::string("--feed.") + source + "=@" + root_ + "/" + source + ".addr");
    if (s != "registry") argv.push_back("--feed.token.file=" + root_ + "/service.token");
    if (s != "audit") argv.push_back("--privacy.master_key_file=" + root_ + "/master.key");  // the audit keeps no keys
    procs_[s] = std::make_unique<Subprocess>(argv);
    std::string address;
    ASSERT_TRUE(procs_[s]->ReadUntil("listening", 0, &address)) << s << " did not start";
  }
  void Stop(const std::string& s, int sig) {
    auto it = procs_.find(s);
    if (it == procs_.end() || !it->second) return;
    it->second->Signal(sig);
    it->second->Wait();
    it->second.reset();
  }
  std::string Address(const std::string& s) {
    std::ifstream in(root_ + "/" + s + ".addr");
    std::string a;
    std::getline(in, a);
    return a;
  }
  Out Ctl(const std::string& token, std::vector<std::string> args) {
    args.insert(args.begin(), {"/usr/bin/env", "YILIAN_HOME=" + root_, YILIAN_BIN "/tools/yilianctl",
                               "--token-file=" + root_ + "/" + token + ".token"});
    return Exec(args);
  }
  Out Demo(const std::string& run = "") {
    return Exec({"/usr/bin/env", "YILIAN_HOME=" + root_, "DEMO_RUN=" + run, "YILIANCTL=" YILIAN_BIN "/tools/yilianctl",
                 "bash", YILIAN_SOURCE "/scripts/demo.sh"});
  }
  // A burst of 20 referral submissions in the background; its stdout lists the acknowledged ids.
  std::unique_ptr<Subprocess> Burst(const std::string& tag) {
    return std::make_unique<Subprocess>(std::vector<std::string>{
        "/usr/bin/env", "YILIAN_HOME=" + root_, "bash", "-c",
        "for i in $(seq 1 20); do " YILIAN_BIN "/tools/yilianctl --token-file=" + root_ +
            "/township.token referral submit --set referral.direction=UPWARD --set "
            "referral.receiver_institution_id=loudi-1st --set referral.patient.value=pt-burst-$i "
            "--set referral.reason=burst --set referral.priority=ROUTINE --set "
            "referral.requested_service=EXAMINATION --set request_id=burst-" +
            tag + "-$i --get referral.referral_id || true; done"});
  }
  // Waits for the burst: the submissions it saw acknowledged.
  static std::vector<std::string> Acknowledged(Subprocess& burst) {
    std::vector<std::string> acknowledged;
    while (auto line = burst.ReadLine())
      if (line->rfind("ref-", 0) == 0) acknowledged.push_back(*line);
    burst.Wait();
    return acknowledged;
  }
  void ExpectStillThere(const std::vector<std::string>& acknowledged, const std::string& what) {
    for (const auto& ack : acknowledged)
      EXPECT_EQ(Get("township", {"referral", "get-referral", "--set", "referral_id=" + ack, "--get",
                                 "referral.referral.referral_id"}),
                ack)
          << what;
  }
  // Every record of a service's log, parsed; a line that is not a JSON record fails. The
  // service is running: a last line still being written (no newline yet) is left out.
  std::vector<nlohmann::json> LogRecords(const std::string& service) {
    std::vector<nlohmann::json> out;
    std::stringstream text;
    text << std::ifstream(root_ + "/" + service + ".log").rdbuf();
    std::string all = text.str();
    all.erase(all.rfind('\n') == std::string::npos ? 0 : all.rfind('\n') + 1);
    std::stringstream in(all);
    for (std::string line; std::getline(in, line);) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      EXPECT_TRUE(j.is_object() && j.contains("ts") && j.contains("level") && j.contains("msg") &&
                  j.value("service", "") == service)
          << service << ": " << line;
      out.push_back(std::move(j));
    }
    return out;
  }
  std::string Get(const std::string& token, std::vector<std::string> args) {
    auto out = Ctl(token, std::move(args));
    EXPECT_EQ(out.code, 0) << out.text;
    return out.text.empty() ? "" : out.text.substr(0, out.text.size() - 1);
  }
  // The service's bus consumer has partitions assigned (it is reading).
  bool Consuming(const std::string& service) {
    auto out = Ctl("service", {"bus", "get-consumer-status", "--on", service, "--get", "partitions.0.topic"});
    return out.code == 0 && out.text.size() > 1;
  }
  // Each source's journal head, and what the audit has archived of it.
  bool AuditCaughtUp() {
    for (const char* source : {"registry", "referral", "greenchannel"}) {
      auto head = Ctl("service", {"feed", "head", "--on", source, "--get", "head_sequence"});
      auto replay = Ctl("auditor", {"audit", "verify", "--set", "check_sources=true", "--json"});
      if (head.code != 0 || replay.code != 0) return false;
      const std::string want = "\"source_service\":\"" + std::string(source) + "\",\"archived\":\"" +
                               head.text.substr(0, head.text.size() - 1) + "\"";
      if (replay.text.find(want) == std::string::npos) return false;
    }
    return true;
  }

  testing::TempDir dir_;
  std::string root_;
  std::unique_ptr<Subprocess> broker_;
  std::map<std::string, std::unique_ptr<Subprocess>> procs_;
};

}  // namespace yilian::e2e
