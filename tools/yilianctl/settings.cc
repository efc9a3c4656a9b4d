#include "settings.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace yilian::ctl {

namespace {

std::optional<std::string> Env(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

absl::StatusOr<std::string> ReadFile(const std::string& path, const char* what) {
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read the ", what, " file ", path));
  std::stringstream text;
  text << in.rdbuf();
  return std::string(absl::StripAsciiWhitespace(text.str()));
}

std::string Home() { return Env("YILIAN_HOME").value_or(".yilian"); }

}  // namespace

absl::StatusOr<Target> Resolve(const Flags& flags, const std::string& service) {
  nlohmann::json config = nlohmann::json::object();
  std::string config_path = flags.config;
  if (config_path.empty()) config_path = Env("YILIAN_CTL_CONFIG").value_or("");
  if (config_path.empty() && std::filesystem::exists(Home() + "/yilianctl.json"))
    config_path = Home() + "/yilianctl.json";
  if (!config_path.empty()) {
    auto text = ReadFile(config_path, "config");
    if (!text.ok()) return text.status();
    config = nlohmann::json::parse(*text, nullptr, false);
    if (config.is_discarded() || !config.is_object())
      return absl::InvalidArgumentError(absl::StrCat(config_path, " is not a JSON object"));
  }
  auto from_config = [&](const std::string& key) -> std::string {
    return config.contains(key) && config[key].is_string() ? config[key].get<std::string>() : "";
  };

  Target t;
  t.address = flags.address;
  if (t.address.empty())
    t.address = Env(absl::StrCat("YILIAN_", absl::AsciiStrToUpper(service), "_ADDRESS")).value_or("");
  if (t.address.empty() && config.contains("addresses") && config["addresses"].contains(service))
    t.address = config["addresses"][service].get<std::string>();
  if (t.address.empty()) {
    const std::string file = absl::StrCat(Home(), "/", service, ".addr");
    auto a = ReadFile(file, "address");
    if (!a.ok())
      return absl::InvalidArgumentError(absl::StrCat("no address for ", service, ": give --address, set YILIAN_",
                                                     absl::AsciiStrToUpper(service),
                                                     "_ADDRESS, or start the platform (", file, ")"));
    t.address = *a;
  }

  t.correlation_id = flags.correlation_id.empty() ? Env("YILIAN_CORRELATION_ID").value_or("") : flags.correlation_id;
  t.token = flags.token;
  std::string token_file = flags.token_file;
  if (t.token.empty() && token_file.empty()) t.token = Env("YILIAN_TOKEN").value_or("");
  if (t.token.empty() && token_file.empty()) token_file = Env("YILIAN_TOKEN_FILE").value_or(from_config("token_file"));
  if (t.token.empty() && !token_file.empty()) {
    auto tok = ReadFile(token_file, "token");
    if (!tok.ok()) return tok.status();
    t.token = *tok;
  }

  const std::string ca = flags.tls_ca.empty() ? from_config("tls_ca") : flags.tls_ca;
  const std::string cert = flags.tls_cert.empty() ? from_config("tls_cert") : flags.tls_cert;
  const std::string key = flags.tls_key.empty() ? from_config("tls_key") : flags.tls_key;
  if (!ca.empty()) {
    auto pem = ReadFile(ca, "CA");
    if (!pem.ok()) return pem.status();
    t.tls_ca = *pem;
  }
  if (!cert.empty() || !key.empty()) {
    if (cert.empty() || key.empty() || ca.empty())
      return absl::InvalidArgumentError("mutual TLS needs --tls-ca, --tls-cert and --tls-key together");
    auto c = ReadFile(cert, "certificate");
    auto k = ReadFile(key, "key");
    if (!c.ok()) return c.status();
    if (!k.ok()) return k.status();
    t.tls_cert = *c;
    t.tls_key = *k;
  }
  return t;
}

}  // namespace yilian::ctl
