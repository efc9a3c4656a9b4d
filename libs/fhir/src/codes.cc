#include "yilian/fhir/codes.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_replace.h"
#include "yilian/domain/referral/referral.h"

namespace yilian::fhir {

namespace fv1 = ::yilian::referral::v1;

std::string CodeOfName(const std::string& name) {
  return absl::StrReplaceAll(absl::AsciiStrToLower(name), {{"_", "-"}});
}

nlohmann::json CodeableConcept(const std::string& system, const std::string& code) {
  return {{"coding", nlohmann::json::array({{{"system", system}, {"code", code}}})}};
}

namespace {

// The enum value whose code is `code` (never the UNSPECIFIED zero).
template <typename E>
std::optional<E> EnumOf(const std::string& code, const google::protobuf::EnumDescriptor* d) {
  for (int i = 0; i < d->value_count(); ++i) {
    const auto* v = d->value(i);
    if (v->number() != 0 && CodeOfName(v->name()) == code) return static_cast<E>(v->number());
  }
  return std::nullopt;
}

}  // namespace

std::string PriorityCode(fv1::Priority p) { return CodeOfName(fv1::Priority_Name(p)); }
std::optional<fv1::Priority> PriorityOf(const std::string& code) {
  return EnumOf<fv1::Priority>(code, fv1::Priority_descriptor());
}
std::string DirectionCode(fv1::Direction d) { return CodeOfName(fv1::Direction_Name(d)); }
std::optional<fv1::Direction> DirectionOf(const std::string& code) {
  return EnumOf<fv1::Direction>(code, fv1::Direction_descriptor());
}
std::string ServiceKindCode(fv1::ServiceKind k) { return CodeOfName(fv1::ServiceKind_Name(k)); }
std::optional<fv1::ServiceKind> ServiceKindOf(const std::string& code) {
  return EnumOf<fv1::ServiceKind>(code, fv1::ServiceKind_descriptor());
}
std::string TaskStatusCode(fv1::Status s) { return domain::referral::FhirStatus(s); }
std::optional<fv1::Status> TaskStatusOf(const std::string& code) {
  return EnumOf<fv1::Status>(code, fv1::Status_descriptor());
}
std::optional<fv1::BusinessStatus> BusinessStatusOf(const std::string& code) {
  return EnumOf<fv1::BusinessStatus>(code, fv1::BusinessStatus_descriptor());
}

}  // namespace yilian::fhir
