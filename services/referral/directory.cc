#include "directory.h"

namespace yilian::referral {

template <typename V>
template <typename Load>
V MirrorDirectory::Cache<V>::Get(const std::atomic<uint64_t>& generation, const std::string& key,
                                 const Load& load) const {
  const uint64_t gen = generation.load(std::memory_order_acquire);  // before the read it covers
  {
    std::lock_guard lock(mu_);
    auto it = rows_.find(key);
    if (it != rows_.end() && it->second.first == gen) return it->second.second;
  }
  absl::StatusOr<V> loaded = load();
  if (!loaded.ok()) return V();  // the Directory reads an error as "absent"; not kept
  std::lock_guard lock(mu_);
  auto& row = rows_[key];
  if (row.first <= gen) row = {gen, *loaded};
  return *std::move(loaded);
}

std::optional<registry::v1::Institution> MirrorDirectory::FindInstitution(const std::string& id) const {
  return institutions_.Get(generation_, id, [&]() -> absl::StatusOr<std::optional<registry::v1::Institution>> {
    auto r = view_->Institution(id);
    if (!r.ok()) return r.status();
    if (!*r) return std::nullopt;
    return (*r)->institution();
  });
}

std::vector<std::string> MirrorDirectory::ConsortiaOf(const std::string& institution_id) const {
  return memberships_.Get(generation_, institution_id, [&] { return view_->Memberships(institution_id); });
}

std::optional<registry::v1::Consortium> MirrorDirectory::FindConsortium(const std::string& id) const {
  return consortia_.Get(generation_, id, [&]() -> absl::StatusOr<std::optional<registry::v1::Consortium>> {
    auto c = view_->Consortium(id);
    if (!c.ok()) return c.status();
    if (!*c) return std::nullopt;
    return (*c)->consortium();
  });
}

bool MirrorDirectory::SignedResident(const std::string& patient_token, const std::string& institution_id) const {
  if (patient_token.empty()) return false;
  auto r = view_->Resident(patient_token);
  return r.ok() && *r && !(*r)->resident().ended() && (*r)->resident().family_doctor_institution_id() == institution_id;
}

}  // namespace yilian::referral
