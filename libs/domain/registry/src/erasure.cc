// The right to erasure: a patient's identity is erased once, for a stated reason.
#include "absl/strings/str_cat.h"
#include "yilian/common/problem.h"
#include "yilian/common/timestamp.h"
#include "yilian/domain/registry/registry.h"

namespace yilian::domain::registry {

namespace rv1 = ::yilian::registry::v1;

absl::StatusOr<Events> ErasePatient(const std::optional<rv1::PatientErased>& state,
                                    const common::v1::PatientRef& patient, const std::string& reason, int64_t at_ms) {
  if (auto s = CheckPatientRef(patient); !s.ok()) return s;
  if (reason.empty() || reason.size() > 500)
    return common::InvalidField("reason", "reason (the request or legal basis, 1..500) is required");
  if (state) return Events{};  // erased already: the first erasure stands
  rv1::RegistryEvent e;
  auto* erased = e.mutable_patient_erased();
  *erased->mutable_patient() = patient;
  erased->set_reason(reason);
  YILIAN_SET_MS(*erased, at, at_ms);
  return Events{e};
}

absl::Status Evolve(std::optional<rv1::PatientErased>& state, const rv1::RegistryEvent& e) {
  if (e.kind_case() != rv1::RegistryEvent::kPatientErased)
    return absl::InvalidArgumentError(
        absl::StrCat("event ", Payload(e).GetDescriptor()->name(), " does not belong to a ", kPatient));
  if (state) return absl::FailedPreconditionError("PatientErased for a patient already erased");
  state = e.patient_erased();
  return absl::OkStatus();
}

}  // namespace yilian::domain::registry
