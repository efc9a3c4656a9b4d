#include "checks.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "yilian/common/problem.h"
#include "yilian/common/strings.h"
#include "yilian/domain/limits/limits.h"

namespace yilian::domain::registry {

namespace rv1 = ::yilian::registry::v1;

std::string WardAggregateId(const std::string& institution_id, const std::string& ward_id) {
  return absl::StrCat(institution_id, "/", ward_id);
}

namespace {
absl::Status Invalid(const std::string& field, const std::string& message) {
  return common::FieldError(field, absl::InvalidArgumentError(absl::StrCat(field, message)));
}
}  // namespace

absl::Status CheckId(const std::string& field, const std::string& value) {
  if (value.empty()) return Invalid(field, " is required");
  if (value.size() > 64) return Invalid(field, " is longer than 64 characters");
  for (char c : value)
    if (!(absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-' || c == '_' || c == '.'))
      return Invalid(field, absl::StrCat(" ", limits::Echo(value), " may only hold a-z, 0-9, '-', '_' and '.'"));
  return absl::OkStatus();
}

absl::Status CheckText(const std::string& field, const std::string& value, size_t max, bool required) {
  return limits::Text(field, value, max, required);
}

absl::Status CheckReason(const std::string& value) { return CheckText("reason", value, 500); }

absl::Status CheckPatientRef(const yilian::common::v1::PatientRef& ref) {
  const std::string& v = ref.value();
  if (v.size() < 8 || v.size() > 128)
    return common::InvalidField("patient", "patient reference must be a pseudonymous token of 8 to 128 characters");
  size_t digits = 0;
  for (char c : v) {
    if (!(absl::ascii_isalnum(c) || c == '-' || c == '_' || c == ':' || c == '.'))
      return common::InvalidField("patient", "patient reference may only hold letters, digits, '-', '_', ':' and '.'");
    digits += absl::ascii_isdigit(c) ? 1 : 0;
  }
  // A resident identity card number (17 digits + check) or a mobile number (11 digits from
  // 1) in clear must never enter an event.
  const bool id_card = v.size() == 18 && digits >= 17;
  const bool mobile = v.size() == 11 && digits == 11 && v[0] == '1';
  if (id_card || mobile || digits == v.size())
    return absl::InvalidArgumentError(
        "patient reference looks like identifying data (an id card or phone number); send the pseudonymous token");
  return absl::OkStatus();
}

bool IsPrimaryCare(const rv1::Institution& i) {
  return i.tier() == 1 && (i.type() == rv1::TOWNSHIP_HEALTH_CENTRE || i.type() == rv1::COMMUNITY_HEALTH_CENTRE ||
                           i.type() == rv1::VILLAGE_CLINIC);
}

namespace {

int TierOf(rv1::InstitutionType type) {
  switch (type) {
    case rv1::TERTIARY_HOSPITAL:
      return 3;
    case rv1::COUNTY_HOSPITAL:
    case rv1::REHABILITATION_HOSPITAL:
      return 2;
    case rv1::TOWNSHIP_HEALTH_CENTRE:
    case rv1::COMMUNITY_HEALTH_CENTRE:
    case rv1::VILLAGE_CLINIC:
      return 1;
    default:
      return 0;
  }
}

}  // namespace

absl::Status CheckInstitution(const rv1::Institution& d) {
  if (auto s = CheckId("institution_id", d.institution_id()); !s.ok()) return s;
  if (auto s = CheckText("name", d.name()); !s.ok()) return s;
  if (auto s = CheckText("short_name", d.short_name(), 100, false); !s.ok()) return s;
  if (d.tier() < 1 || d.tier() > 3)
    return common::InvalidField("tier", absl::StrCat("tier ", d.tier(), " is out of range: 1, 2 or 3"));
  if (d.type() == rv1::INSTITUTION_TYPE_UNSPECIFIED || !rv1::InstitutionType_IsValid(d.type()))
    return absl::InvalidArgumentError(
        "type is required: one of TERTIARY_HOSPITAL, COUNTY_HOSPITAL, "
        "REHABILITATION_HOSPITAL, TOWNSHIP_HEALTH_CENTRE, COMMUNITY_HEALTH_CENTRE, "
        "VILLAGE_CLINIC");
  if (TierOf(d.type()) != d.tier())
    return absl::InvalidArgumentError(absl::StrCat("tier ", d.tier(), " does not fit type ",
                                                   rv1::InstitutionType_Name(d.type()), " (tier ", TierOf(d.type()),
                                                   ")"));
  if (!d.has_location()) return common::InvalidField("location", "location is required (latitude and longitude)");
  const double lat = d.location().latitude(), lon = d.location().longitude();
  if (!std::isfinite(lat) || lat < -90 || lat > 90)
    return common::InvalidField("location.latitude", absl::StrCat("latitude ", lat, " is out of range -90..90"));
  if (!std::isfinite(lon) || lon < -180 || lon > 180)
    return common::InvalidField("location.longitude", absl::StrCat("longitude ", lon, " is out of range -180..180"));
  std::vector<bool> seen(64, false);
  for (int c : d.capabilities()) {
    if (c == rv1::CAPABILITY_UNSPECIFIED || !rv1::Capability_IsValid(c))
      return common::InvalidField("capabilities", absl::StrCat("capability ", c, " is not in the vocabulary"));
    if (seen[c])
      return common::InvalidField("capabilities",
                                  absl::StrCat("capability ", rv1::Capability_Name(c), " is listed twice"));
    seen[c] = true;
  }
  if (d.suspended() || !d.suspension_reason().empty())
    return absl::InvalidArgumentError("suspended is read-only: use SuspendInstitution / ReactivateInstitution");
  return absl::OkStatus();
}

absl::StatusOr<rv1::Institution> ActiveInstitution(const Directory& dir, const std::string& field,
                                                   const std::string& id) {
  if (auto s = CheckId(field, id); !s.ok()) return s;
  auto i = dir.FindInstitution(id);
  if (!i) return absl::NotFoundError(absl::StrCat(field, ": institution \"", id, "\" is not registered"));
  if (i->suspended())
    return absl::FailedPreconditionError(absl::StrCat(field, ": institution \"", id, "\" is suspended"));
  return *i;
}

}  // namespace yilian::domain::registry
