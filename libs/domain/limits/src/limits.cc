#include "yilian/domain/limits/limits.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "yilian/common/problem.h"
#include "yilian/common/strings.h"
#include "yilian/common/timestamp.h"

namespace yilian::domain::limits {

using common::Sv;

namespace {
// INVALID_ARGUMENT marked field-invalid for `field` (common/problem.h).
template <typename... Parts>
absl::Status Invalid(std::string_view field, const Parts&... parts) {
  return common::FieldError(field, absl::InvalidArgumentError(absl::StrCat(Sv(field), parts...)));
}
}  // namespace

std::string Echo(std::string_view value) {
  if (value.size() <= kEcho) return absl::StrCat("\"", Sv(value), "\"");
  size_t cut = kEcho;
  while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) --cut;  // not inside a character
  return absl::StrCat("\"", Sv(value.substr(0, cut)), "...\" (", value.size(), " bytes)");
}

absl::Status Text(std::string_view field, std::string_view value, size_t max, bool required) {
  if (required && absl::StripAsciiWhitespace(Sv(value)).empty()) return Invalid(field, " is required");
  if (value.size() > max) return Invalid(field, " is ", value.size(), " bytes; at most ", max, " are taken");
  return absl::OkStatus();
}

absl::Status Coding(std::string_view field, const ::yilian::common::v1::Coding& c) {
  const std::string f(field);
  if (auto s = Text(f + ".system", c.system(), 256, true); !s.ok()) return s;
  if (auto s = Text(f + ".code", c.code(), 32, true); !s.ok()) return s;
  if (auto s = Text(f + ".display", c.display(), 256, false); !s.ok()) return s;
  for (const std::string* v : {&c.system(), &c.code(), &c.display()})
    for (char ch : *v)
      if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) return Invalid(field, " holds a control character");
  return absl::OkStatus();
}

absl::Status Reference(std::string_view field, std::string_view value, bool required) {
  if (value.empty()) return required ? Invalid(field, " is required") : absl::OkStatus();
  if (value.size() > kReference)
    return Invalid(field, " is ", value.size(), " characters; at most ", kReference, " are taken");
  for (char c : value)
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f)
      return Invalid(field, " ", Echo(value), " may only hold printable ASCII characters, no spaces");
  return absl::OkStatus();
}

absl::Status Count(std::string_view field, size_t count, size_t max) {
  if (count > max) return Invalid(field, " has ", count, " items; at most ", max, " are taken");
  return absl::OkStatus();
}

absl::Status Instant(std::string_view field, const google::protobuf::Timestamp& at, absl::Time now, absl::Duration past,
                     absl::Duration future, bool required) {
  if (auto valid = common::CheckTimestamp(at, std::string(field)); !valid.ok()) return valid;
  return Instant(field, common::UnixMs(at), now, past, future, required);
}

absl::Status Instant(std::string_view field, int64_t ms, absl::Time now, absl::Duration past, absl::Duration future,
                     bool required) {
  if (ms < 0) return Invalid(field, " is before 1970");
  if (ms == 0) return required ? Invalid(field, " is required") : absl::OkStatus();
  const absl::Time at = absl::FromUnixMillis(ms);
  if (at < now - past || at > now + future)
    return Invalid(field, " ", absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", at, absl::UTCTimeZone()), " is outside ",
                   absl::FormatDuration(past), " before now to ", absl::FormatDuration(future), " after now");
  return absl::OkStatus();
}

}  // namespace yilian::domain::limits
