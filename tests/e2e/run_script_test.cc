// scripts/run.sh as a user runs it, with its output piped (`scripts/run.sh | tee log`): Ctrl-C
// reaches the whole pipeline, the reader dies first, and the script must still stop every
// process it started, the broker last. (It used to die on its first write to the dead pipe,
// leaving the broker running.)
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "yilian/testing/subprocess.h"
#include "yilian/testing/temp_dir.h"
#include "yilian/testing/wait.h"

namespace yilian::e2e {
namespace {

// Every live process whose command line names `needle` (the run's data root).
std::vector<pid_t> ProcessesNaming(const std::string& needle, pid_t except) {
  std::vector<pid_t> out;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = std::stoi(name);
    if (pid == except || pid == getpid()) continue;
    std::ifstream in(entry.path() / "cmdline");
    std::stringstream text;
    text << in.rdbuf();
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    std::getline(stat, line);
    const auto state = line.rfind(") ");
    if (state != std::string::npos && line.compare(state + 2, 1, "Z") == 0) continue;  // exited, not yet reaped
    if (text.str().find(needle) != std::string::npos) out.push_back(pid);
  }
  return out;
}

TEST(RunScriptTest, CtrlCStopsEveryProcessEvenWhenTheOutputReaderDiedFirst) {
  testing::TempDir dir;
  const std::string home = dir.Sub("home");
  const std::string script = "YILIAN_HOME='" + home +
                             "' YILIAN_BUILD_DIR='" YILIAN_BIN "' YILIAN_SKIP_SETUP=1 '" YILIAN_SOURCE
                             "/scripts/run.sh' 2>&1 | tee '" +
                             dir.Sub("run.log") + "'";
  // Its own session and process group, as a terminal's foreground job is.
  testing::Subprocess run({"/usr/bin/setsid", "/bin/bash", "-c", script});
  struct KillLeftovers {  // however the test ends, no process of this run outlives it
    const std::string& home;
    pid_t group;
    ~KillLeftovers() {
      kill(-group, SIGKILL);
      for (pid_t pid : ProcessesNaming(home, 0)) kill(pid, SIGKILL);
    }
  } leftovers{home, run.pid()};
  bool serving = false;
  std::string seen;
  while (auto line = run.ReadLine()) {
    seen += *line + "\n";
    if (line->find("Press Ctrl-C to stop") != std::string::npos) {
      serving = true;
      break;
    }
  }
  ASSERT_TRUE(serving) << seen;
  const auto started = ProcessesNaming(home, run.pid());
  ASSERT_GE(started.size(), 6u) << "the broker, four services and the gateway";  // they name the data root
  // The demo's last part: one referral over FHIR R4 through the gateway, with curl.
  EXPECT_NE(seen.find("gateway: FHIR R4 at http://127.0.0.1:"), std::string::npos) << seen;
  EXPECT_NE(seen.find("POST /Task (township HIS): HTTP 201, Task/ref-"), std::string::npos) << seen;
  EXPECT_NE(seen.find("1 match for Task/ref-"), std::string::npos) << seen;
  EXPECT_NE(seen.find("status=accepted: HTTP 200, status now accepted"), std::string::npos) << seen;

  kill(-run.pid(), SIGINT);  // Ctrl-C: the script, tee and the services alike
  const int code = run.ExitCode();
  const bool all_stopped =
      testing::WaitFor([&] { return ProcessesNaming(home, run.pid()).empty(); }, std::chrono::seconds(90));
  EXPECT_TRUE(all_stopped) << ProcessesNaming(home, run.pid()).size()
                           << " processes still running after Ctrl-C (script exit " << code << ")";
}

}  // namespace
}  // namespace yilian::e2e
