#pragma once
// The registry as the referral core sees it: the registry mirror (registry_model rows in the
// `consumed` family under "registry/", fed by the bus consumer) behind the core's Directory,
// plus the signed-resident check for expert slots. Thread-safe; borrows the view.
//
// Institutions, memberships and consortia are cached: every Submit asks for both ends (a
// RocksDB point read and a range scan each), and the mirror changes only when the consumer
// writes a batch. Invalidate() after each such write (the consumer's on_commit, via
// Intake::Notify) drops every cached answer; an answer read while a write was landing is
// kept under the generation it started in, so it is read again.

#include <atomic>
#include <mutex>

#include "absl/container/flat_hash_map.h"
#include "yilian/domain/referral/referral.h"
#include "yilian/registry_model/registry_model.h"

namespace yilian::referral {

class MirrorDirectory : public domain::referral::Directory {
 public:
  explicit MirrorDirectory(const registry_model::RegistryView* view) : view_(view) {}
  std::optional<registry::v1::Institution> FindInstitution(const std::string& id) const override;
  std::vector<std::string> ConsortiaOf(const std::string& institution_id) const override;
  std::optional<registry::v1::Consortium> FindConsortium(const std::string& id) const override;
  // Is the patient a signed resident (签约居民) of `institution_id`, with the signing active?
  bool SignedResident(const std::string& patient_token, const std::string& institution_id) const;
  // The mirror changed: cached answers are read again.
  void Invalidate() { generation_.fetch_add(1, std::memory_order_acq_rel); }
  const registry_model::RegistryView& view() const { return *view_; }

 private:
  // Answers by key, each with the generation it was read in. Read errors are not cached.
  template <typename V>
  class Cache {
   public:
    template <typename Load>
    V Get(const std::atomic<uint64_t>& generation, const std::string& key, const Load& load) const;

   private:
    mutable std::mutex mu_;
    mutable absl::flat_hash_map<std::string, std::pair<uint64_t, V>> rows_;  // guarded by mu_
  };

  const registry_model::RegistryView* view_;
  std::atomic<uint64_t> generation_{1};
  Cache<std::optional<registry::v1::Institution>> institutions_;
  Cache<std::vector<std::string>> memberships_;
  Cache<std::optional<registry::v1::Consortium>> consortia_;
};

}  // namespace yilian::referral
