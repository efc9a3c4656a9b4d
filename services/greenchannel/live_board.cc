#include "live_board.h"

namespace yilian::greenchannel {

namespace dgc = ::yilian::domain::greenchannel;
namespace gv1 = ::yilian::greenchannel::v1;

absl::Status LiveBoard::LoadOnce() {
  if (loaded_) return absl::OkStatus();
  auto s = view_->ForEachWard("", [&](const gv1::WardStatus& w) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    wards_[WardKey(w.board().institution_id(), w.board().ward_id())].status = w;
    return true;
  });
  if (!s.ok()) {
    wards_.clear();
    return s;
  }
  loaded_ = true;
  return absl::OkStatus();
}

absl::StatusOr<std::optional<gv1::WardStatus>> LiveBoard::Ward(const std::string& key) {
  std::unique_lock lock(mu_);
  if (auto s = LoadOnce(); !s.ok()) return s;
  auto it = wards_.find(key);
  if (it == wards_.end()) return std::optional<gv1::WardStatus>();
  if (it->second.stale) {
    // The caller holds the ward's lock, so nothing new is queued for it: once what is in
    // flight is answered, the projection has every durable change.
    settled_.wait(lock, [&] { return it->second.in_flight == 0; });
    auto row = view_->Ward(key);
    if (!row.ok()) return row.status();
    if (!*row) {
      wards_.erase(it);
      return std::optional<gv1::WardStatus>();
    }
    it->second.status = **row;
    it->second.stale = false;
  }
  return std::optional<gv1::WardStatus>(it->second.status);
}

absl::Status LiveBoard::AddWards(std::vector<dgc::Site>& sites) {
  std::map<std::string, dgc::Site*> at;
  for (auto& site : sites) at[site.institution.institution_id()] = &site;
  std::lock_guard lock(mu_);
  if (auto s = LoadOnce(); !s.ok()) return s;
  for (const auto& [key, live] : wards_) {
    std::optional<gv1::WardStatus> fresh;
    if (live.stale) {  // its counts may include a hold that was never written
      auto row = view_->Ward(key);
      if (row.ok() && *row) fresh = **row;
    }
    const auto& w = fresh ? *fresh : live.status;
    auto it = at.find(w.board().institution_id());
    if (it == at.end()) continue;
    dgc::WardBeds beds;
    beds.ward_id = w.board().ward_id();
    beds.kind = w.board().kind();
    beds.free = w.free_general();
    beds.free_reserve = w.free_reserve();
    it->second->wards.push_back(std::move(beds));
  }
  return absl::OkStatus();
}

absl::AnyInvocable<void(bool) &&> LiveBoard::Stage(std::vector<std::pair<std::string, gv1::WardStatus>> after) {
  std::vector<std::string> keys;
  {
    std::lock_guard lock(mu_);
    for (auto& [key, status] : after) {
      auto& live = wards_[key];
      live.status = std::move(status);
      ++live.in_flight;
      keys.push_back(key);
    }
  }
  return [this, keys = std::move(keys)](bool written) { Settle(keys, written); };
}

void LiveBoard::Settle(const std::vector<std::string>& keys, bool written) {
  {
    std::lock_guard lock(mu_);
    for (const auto& key : keys) {
      auto& live = wards_[key];
      --live.in_flight;
      if (!written) live.stale = true;
    }
  }
  settled_.notify_all();
}

}  // namespace yilian::greenchannel
