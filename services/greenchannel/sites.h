#pragma once
// What placement needs to know about every institution: its registry facts (from the
// registry mirror in the `consumed` family) and its wards' free beds (from the bed board).
// The registry part is cached and refreshed when the mirror changes (Invalidate, called
// after each consumed batch); the bed part is read fresh every time. Thread-safe.

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "board_model.h"
#include "yilian/domain/greenchannel/placement.h"
#include "yilian/registry_model/registry_model.h"

namespace yilian::greenchannel {

class SiteDirectory {
 public:
  SiteDirectory(const registry_model::RegistryView* registry, const BoardView* board)
      : registry_(registry), board_(board) {}

  // Sites of one consortium's members ("" = every institution), without `exclude`.
  // NOT_FOUND for an unknown consortium.
  absl::StatusOr<std::vector<domain::greenchannel::Site>> Sites(const std::string& consortium_id,
                                                                const std::set<std::string>& exclude = {}) const;
  void Invalidate() { ++generation_; }

 private:
  struct Cached {
    uint64_t generation = 0;
    std::vector<domain::greenchannel::Site> sites;  // without wards
  };
  absl::StatusOr<std::vector<domain::greenchannel::Site>> Load(const std::string& consortium_id) const;

  const registry_model::RegistryView* registry_;
  const BoardView* board_;
  std::atomic<uint64_t> generation_{1};
  mutable std::mutex mu_;
  mutable std::map<std::string, Cached> cache_;  // by consortium id; guarded by mu_
};

}  // namespace yilian::greenchannel
