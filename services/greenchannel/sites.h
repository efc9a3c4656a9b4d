#pragma once
// What placement needs to know about every institution from the registry (its facts and
// whether it leads a consortium), from the registry mirror in the `consumed` family. Cached,
// and refreshed when the mirror changes (Invalidate, called after each consumed batch). The
// wards' free beds come from the live board (LiveBoard::AddWards, through Board::SitesFor). Thread-safe.

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "yilian/domain/greenchannel/placement.h"
#include "yilian/registry_model/registry_model.h"

namespace yilian::greenchannel {

class SiteDirectory {
 public:
  explicit SiteDirectory(const registry_model::RegistryView* registry) : registry_(registry) {}

  // Sites (without wards) of one consortium's members ("" = every institution), without `exclude`.
  // NOT_FOUND for an unknown consortium.
  absl::StatusOr<std::vector<domain::greenchannel::Site>> Sites(const std::string& consortium_id,
                                                                const std::set<std::string>& exclude = {}) const;
  void Invalidate() { ++generation_; }

 private:
  struct Cached {
    uint64_t generation = 0;
    std::vector<domain::greenchannel::Site> sites;
  };
  absl::StatusOr<std::vector<domain::greenchannel::Site>> Load(const std::string& consortium_id) const;

  const registry_model::RegistryView* registry_;
  std::atomic<uint64_t> generation_{1};
  mutable std::mutex mu_;
  mutable std::map<std::string, Cached> cache_ ABSL_GUARDED_BY(mu_);  // by consortium id
};

}  // namespace yilian::greenchannel
