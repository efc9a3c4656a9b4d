#pragma once
// Configuration from a JSON file, the environment and command-line flags, validated at
// start-up against a declared schema so a bad value names its key and its source.
//
// Precedence: flag --name=value > environment YILIAN_NAME > file (--config=path) > default.
// Key "grpc.listen" is read from env YILIAN_GRPC_LISTEN and from the file either as
// {"grpc.listen": ...} or {"grpc": {"listen": ...}}. Unknown keys in a file or a flag are
// errors (a typo must not silently fall back to a default).
//
// Config is an immutable value after Load; safe to read from any thread.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace yilian::common {

enum class ConfigType { kString, kInt, kBool, kDuration };

struct ConfigKey {
  std::string name;
  ConfigType type = ConfigType::kString;
  std::optional<std::string> default_value;  // nullopt: required
  std::string help;
  // Extra check after the type check; return a message saying what is wrong, or "".
  std::function<std::string(const std::string&)> check;
  bool secret = false;  // masked in Describe()
};

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup ProcessEnv();

class Config {
 public:
  static absl::StatusOr<Config> Load(const std::vector<ConfigKey>& schema, const std::vector<std::string>& args,
                                     const EnvLookup& env = ProcessEnv());
  static absl::StatusOr<Config> Load(const std::vector<ConfigKey>& schema, int argc, char** argv,
                                     const EnvLookup& env = ProcessEnv());

  // Accessors for declared keys; the value has passed its type check at Load.
  const std::string& GetString(const std::string& name) const;
  int64_t GetInt(const std::string& name) const;
  bool GetBool(const std::string& name) const;
  absl::Duration GetDuration(const std::string& name) const;
  // "name=value (source)" per line, secrets masked.
  std::string Describe() const;
  // Usage text listing every key with its default and help.
  static std::string Usage(const std::vector<ConfigKey>& schema);

 private:
  struct Value {
    std::string text;
    std::string source;
    bool secret = false;
  };
  std::map<std::string, Value> values_;
};

// The environment variable for a key: "grpc.listen" -> "YILIAN_GRPC_LISTEN".
std::string EnvName(const std::string& key);

}  // namespace yilian::common
