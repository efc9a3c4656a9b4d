#include "render.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace yilian::ctl {

namespace {

constexpr size_t kMaxCell = 48;

template <typename J>
std::string Scalar(const J& v) {
  if (v.is_string()) return v.template get<std::string>();
  return v.dump();
}

// Terminal columns of UTF-8 text: wide (2) for CJK and full-width forms, 1 otherwise.
size_t Width(std::string_view s, size_t* cut_at = nullptr, size_t max = 0) {
  size_t cols = 0;
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    uint32_t cp = len == 1 ? c : (c & (0xFF >> (len + 1)));
    for (size_t k = 1; k < len && i + k < s.size(); ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    const size_t w = (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
                             (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
                             (cp >= 0xFF00 && cp <= 0xFF60) || (cp >= 0x20000 && cp <= 0x3FFFD)
                         ? 2
                         : 1;
    if (cut_at != nullptr && cols + w > max) {
      *cut_at = i;
      return cols;
    }
    cols += w;
    i += len;
  }
  if (cut_at != nullptr) *cut_at = s.size();
  return cols;
}

std::string Cut(std::string s) {
  if (Width(s) <= kMaxCell) return s;
  size_t at = 0;
  Width(s, &at, kMaxCell - 3);
  return s.substr(0, at) + "...";
}

using Json = nlohmann::ordered_json;  // keeps the proto's field order

std::string Local(absl::Time t) { return absl::FormatTime("%Y-%m-%d %H:%M:%S", t, absl::LocalTimeZone()); }

// Flattens `v` into (dotted path, text) pairs: nested messages dotted, lists of scalars joined
// with ", ", lists of messages indexed ("a[0].b"); empty values left out.
void Flatten(const Json& v, const std::string& path, std::vector<std::pair<std::string, std::string>>& out) {
  if (v.is_null()) return;
  if (v.is_object()) {
    for (const auto& [k, x] : v.items()) Flatten(x, path.empty() ? k : absl::StrCat(path, ".", k), out);
    return;
  }
  if (v.is_array()) {
    if (v.empty()) return;
    if (!v[0].is_structured()) {
      std::string joined;
      for (const auto& x : v)
        absl::StrAppend(&joined, joined.empty() ? "" : ", ", x.is_string() ? x.get<std::string>() : x.dump());
      out.emplace_back(path, joined);
      return;
    }
    for (size_t i = 0; i < v.size(); ++i) Flatten(v[i], absl::StrCat(path, "[", i, "]"), out);
    return;
  }
  out.emplace_back(path, ShownValue(path, v.is_string() ? v.get<std::string>() : v.dump()));
}

std::string Table(const Json& rows) {
  std::vector<std::string> columns;
  std::vector<std::map<std::string, std::string>> cells;
  for (const auto& row : rows) {
    std::map<std::string, std::string> line;
    std::vector<std::pair<std::string, std::string>> flat;
    Flatten(row, "", flat);
    for (const auto& [col, text] : flat) {
      if (std::find(columns.begin(), columns.end(), col) == columns.end()) columns.push_back(col);
      line[col] = Cut(text);
    }
    cells.push_back(std::move(line));
  }
  // Rows that wrap one message ({"institution": {...}, "version": 3}) need no prefix.
  std::string prefix;
  for (const auto& c : columns) {
    if (c.find('.') == std::string::npos) continue;
    const std::string p = c.substr(0, c.find('.') + 1);
    if (prefix.empty())
      prefix = p;
    else if (p != prefix)
      prefix = "-";
  }
  std::vector<std::string> headers;
  for (const auto& c : columns)
    headers.push_back(prefix.size() > 1 && c.rfind(prefix, 0) == 0 ? c.substr(prefix.size()) : c);
  std::vector<size_t> width;
  for (size_t i = 0; i < columns.size(); ++i) {
    const auto& c = columns[i];
    size_t w = Width(headers[i]);
    for (const auto& line : cells)
      if (auto it = line.find(c); it != line.end()) w = std::max(w, Width(it->second));
    width.push_back(std::min(w, kMaxCell));
  }
  std::string out;
  auto add = [&](const std::vector<std::string>& values) {
    std::string line;
    for (size_t i = 0; i < values.size(); ++i)
      absl::StrAppend(&line, values[i], std::string(width[i] + 2 - std::min(width[i], Width(values[i])), ' '));
    while (!line.empty() && line.back() == ' ') line.pop_back();
    absl::StrAppend(&out, line, "\n");
  };
  add(headers);
  for (const auto& line : cells) {
    std::vector<std::string> values;
    for (const auto& c : columns) values.push_back(line.count(c) ? line.at(c) : "");
    add(values);
  }
  return out;
}

}  // namespace

std::string ShownValue(const std::string& key, const std::string& value) {
  // Every instant is a protobuf Timestamp: in JSON, RFC 3339 in UTC ("2026-12-07T11:20:41.572Z").
  absl::Time t;
  std::string err;
  if (value.size() >= 20 && value[4] == '-' && value[10] == 'T' && value.back() == 'Z' &&
      absl::ParseTime(absl::RFC3339_full, value, &t, &err))
    return Local(t);
  return value;
}

std::string ToJson(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions o;
  o.preserve_proto_field_names = true;
  if (!google::protobuf::util::MessageToJsonString(m, &out, o).ok()) out = "{}";
  return out;
}

std::optional<std::string> Field(const google::protobuf::Message& m, const std::string& dotted) {
  Json j = Json::parse(ToJson(m), nullptr, false);
  std::string pointer;
  for (char c : dotted) pointer += c == '.' ? '/' : c;
  try {
    const auto& v = j.at(Json::json_pointer("/" + pointer));
    return Scalar(v);
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

std::string ToText(const google::protobuf::Message& m) {
  const Json j = Json::parse(ToJson(m), nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.empty()) return "(empty)\n";
  std::string table_key;
  for (const auto& [k, v] : j.items())
    if (v.is_array() && !v.empty() && v[0].is_object()) {
      table_key = k;
      break;
    }
  std::string out;
  Json rest = j;
  if (!table_key.empty()) rest.erase(table_key);
  std::vector<std::pair<std::string, std::string>> flat;
  Flatten(rest, "", flat);
  for (const auto& [k, v] : flat) absl::StrAppend(&out, k, ": ", v, "\n");
  if (!table_key.empty()) {
    if (!out.empty()) out += "\n";
    absl::StrAppend(&out, table_key, " (", j[table_key].size(), "):\n", Table(j[table_key]));
  }
  return out;
}

}  // namespace yilian::ctl
