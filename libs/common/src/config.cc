#include "yilian/common/config.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"

namespace yilian::common {
namespace {

const char* TypeName(ConfigType t) {
  switch (t) {
    case ConfigType::kString:
      return "a string";
    case ConfigType::kInt:
      return "an integer";
    case ConfigType::kBool:
      return "true or false";
    case ConfigType::kDuration:
      return "a duration such as 250ms, 30s or 5m";
  }
  return "?";
}

bool ParseBool(const std::string& s, bool* out) { return absl::SimpleAtob(s, out); }

std::string TypeError(const ConfigKey& key, const std::string& text) {
  int64_t i;
  bool b;
  absl::Duration d;
  switch (key.type) {
    case ConfigType::kString:
      return "";
    case ConfigType::kInt:
      return absl::SimpleAtoi(text, &i) ? "" : absl::StrCat("\"", text, "\" is not ", TypeName(key.type));
    case ConfigType::kBool:
      return ParseBool(text, &b) ? "" : absl::StrCat("\"", text, "\" is not ", TypeName(key.type));
    case ConfigType::kDuration:
      return absl::ParseDuration(text, &d) ? "" : absl::StrCat("\"", text, "\" is not ", TypeName(key.type));
  }
  return "";
}

void Flatten(const nlohmann::json& j, const std::string& prefix, std::map<std::string, std::string>* out) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it)
      Flatten(it.value(), prefix.empty() ? it.key() : prefix + "." + it.key(), out);
  } else if (j.is_string()) {
    (*out)[prefix] = j.get<std::string>();
  } else {
    (*out)[prefix] = j.dump();
  }
}

}  // namespace

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

std::string EnvName(const std::string& key) {
  std::string out = "YILIAN_";
  for (char c : key)
    out.push_back(
        absl::ascii_isalnum(static_cast<unsigned char>(c)) ? absl::ascii_toupper(static_cast<unsigned char>(c)) : '_');
  return out;
}

absl::StatusOr<Config> Config::Load(const std::vector<ConfigKey>& schema, int argc, char** argv, const EnvLookup& env) {
  std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  return Load(schema, args, env);
}

absl::StatusOr<Config> Config::Load(const std::vector<ConfigKey>& schema, const std::vector<std::string>& args,
                                    const EnvLookup& env) {
  std::map<std::string, const ConfigKey*> by_name;
  for (const auto& k : schema) by_name[k.name] = &k;

  std::map<std::string, std::string> flags;
  std::string config_file;
  for (const auto& arg : args) {
    if (arg.rfind("--", 0) != 0)
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument \"", arg, "\": use --key=value"));
    std::pair<std::string, std::string> kv = absl::StrSplit(arg.substr(2), absl::MaxSplits('=', 1));
    if (arg.find('=') == std::string::npos) kv.second = "true";  // --flag means true
    if (kv.first == "config") {
      config_file = kv.second;
      continue;
    }
    if (!by_name.count(kv.first))
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", kv.first, "; known keys:\n", Usage(schema)));
    flags[kv.first] = kv.second;
  }
  if (config_file.empty()) {
    if (auto e = env("YILIAN_CONFIG")) config_file = *e;
  }

  std::map<std::string, std::string> file_values;
  if (!config_file.empty()) {
    std::ifstream in(config_file);
    if (!in) return absl::InvalidArgumentError(absl::StrCat("config file \"", config_file, "\" cannot be read"));
    nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object())
      return absl::InvalidArgumentError(absl::StrCat("config file \"", config_file, "\" is not a JSON object"));
    Flatten(j, "", &file_values);
    for (const auto& [k, v] : file_values)
      if (!by_name.count(k))
        return absl::InvalidArgumentError(absl::StrCat("unknown key \"", k, "\" in config file \"", config_file, "\""));
  }

  Config config;
  for (const auto& key : schema) {
    Value value;
    value.secret = key.secret;
    if (auto f = flags.find(key.name); f != flags.end()) {
      value = {f->second, absl::StrCat("flag --", key.name), key.secret};
    } else if (auto e = env(EnvName(key.name))) {
      value = {*e, absl::StrCat("environment ", EnvName(key.name)), key.secret};
    } else if (auto v = file_values.find(key.name); v != file_values.end()) {
      value = {v->second, absl::StrCat("file ", config_file), key.secret};
    } else if (key.default_value) {
      value = {*key.default_value, "default", key.secret};
    } else {
      return absl::InvalidArgumentError(absl::StrCat("config key \"", key.name, "\" is required (", key.help,
                                                     "): set --", key.name, "=... or ", EnvName(key.name)));
    }
    std::string problem = TypeError(key, value.text);
    if (problem.empty() && key.check) problem = key.check(value.text);
    if (!problem.empty())
      return absl::InvalidArgumentError(
          absl::StrCat("config key \"", key.name, "\" from ", value.source, ": ", problem));
    config.values_[key.name] = std::move(value);
  }
  return config;
}

const std::string& Config::GetString(const std::string& name) const { return values_.at(name).text; }

int64_t Config::GetInt(const std::string& name) const {
  int64_t v = 0;
  (void)absl::SimpleAtoi(values_.at(name).text, &v);
  return v;
}

bool Config::GetBool(const std::string& name) const {
  bool v = false;
  (void)ParseBool(values_.at(name).text, &v);
  return v;
}

absl::Duration Config::GetDuration(const std::string& name) const {
  absl::Duration d;
  (void)absl::ParseDuration(values_.at(name).text, &d);
  return d;
}

std::string Config::Describe() const {
  std::ostringstream out;
  for (const auto& [k, v] : values_) out << k << "=" << (v.secret ? "****" : v.text) << " (" << v.source << ")\n";
  return out.str();
}

std::string Config::Usage(const std::vector<ConfigKey>& schema) {
  std::ostringstream out;
  for (const auto& k : schema) {
    out << "  --" << k.name << "  " << k.help << " [" << TypeName(k.type) << "; ";
    if (k.default_value)
      out << "default \"" << *k.default_value << "\"";
    else
      out << "required";
    out << "; env " << EnvName(k.name) << "]\n";
  }
  return out.str();
}

}  // namespace yilian::common
