#pragma once
// The registry as the referral core sees it: the registry mirror (registry_model rows in the
// `consumed` family under "registry/", fed by the bus consumer) behind the core's Directory,
// plus the signed-resident check for expert slots. Thread-safe; borrows the view.

#include "yilian/domain/referral/referral.h"
#include "yilian/registry_model/registry_model.h"

namespace yilian::referral {

class MirrorDirectory : public domain::referral::Directory {
 public:
  explicit MirrorDirectory(const registry_model::RegistryView* view) : view_(view) {}
  std::optional<registry::v1::Institution> FindInstitution(const std::string& id) const override {
    return view_->FindInstitution(id);
  }
  std::vector<std::string> ConsortiaOf(const std::string& institution_id) const override {
    return view_->ConsortiaOf(institution_id);
  }
  std::optional<registry::v1::Consortium> FindConsortium(const std::string& id) const override {
    auto c = view_->Consortium(id);
    if (!c.ok() || !*c) return std::nullopt;
    return (*c)->consortium();
  }
  // Is the patient a signed resident (签约居民) of `institution_id`, with the signing active?
  bool SignedResident(const std::string& patient_token, const std::string& institution_id) const {
    if (patient_token.empty()) return false;
    auto r = view_->Resident(patient_token);
    return r.ok() && *r && !(*r)->resident().ended() &&
           (*r)->resident().family_doctor_institution_id() == institution_id;
  }
  const registry_model::RegistryView& view() const { return *view_; }

 private:
  const registry_model::RegistryView* view_;
};

}  // namespace yilian::referral
