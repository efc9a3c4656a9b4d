#pragma once
// Runs a helper program as a child process with its stdout on a pipe, for tests that
// kill processes (SIGKILL, SIGTERM) and check what survived.

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace yilian::testing {

class Subprocess {
 public:
  // Starts argv[0] with the given arguments. Aborts the test binary if it cannot.
  explicit Subprocess(const std::vector<std::string>& argv);
  ~Subprocess();  // kills (SIGKILL) and reaps a child still running

  pid_t pid() const { return pid_; }
  // The next line of the child's stdout, without the newline; nullopt at EOF.
  std::optional<std::string> ReadLine();
  // Reads "name=value" lines until one named `name` has a numeric value >= `at_least` (or
  // a non-numeric value), stores the value in `*value` if given, and returns true; false at EOF.
  bool ReadUntil(const std::string& name, int64_t at_least, std::string* value = nullptr);
  void Signal(int sig);
  // Waits for exit; returns the raw wait status.
  int Wait();
  // Waits for exit; returns the exit code, or -signal if a signal ended the child.
  int ExitCode();

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string buffer_;
  bool reaped_ = false;
};

}  // namespace yilian::testing
