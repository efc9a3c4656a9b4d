#include "home.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace yilian::loadgen {

namespace {

absl::StatusOr<std::string> ReadOne(const std::string& dir, const std::string& file, const std::string& what) {
  const std::string path = absl::StrCat(dir, "/", file);
  std::ifstream in(path);
  std::stringstream text;
  if (in) text << in.rdbuf();
  std::string value(absl::StripAsciiWhitespace(text.str()));
  if (value.empty())
    return absl::NotFoundError(absl::StrCat(path, " (", what, ") is missing or empty: is the platform running? ",
                                            "Start it with YILIAN_HOME=", dir, " scripts/run.sh"));
  return value;
}

}  // namespace

absl::StatusOr<Home> ReadHome(const std::string& dir, const std::vector<std::string>& services,
                              const std::vector<std::string>& principals) {
  Home home;
  home.dir = dir;
  for (const auto& s : services) {
    auto a = ReadOne(dir, s + ".addr", "the " + s + " service's address");
    if (!a.ok()) return a.status();
    home.address[s] = *a;
  }
  for (const auto& p : principals) {
    auto t = ReadOne(dir, p + ".token", "the " + p + " bearer token");
    if (!t.ok()) return t.status();
    home.token[p] = *t;
  }
  return home;
}

}  // namespace yilian::loadgen
