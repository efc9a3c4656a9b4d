#pragma once
// Key encodings of the store's families (see store.h).

#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "yilian/common/strings.h"
#include "yilian/eventstore/store.h"

namespace yilian::eventstore::keys {

inline std::string Aggregate(std::string_view type, std::string_view id) {
  return absl::StrCat(common::Sv(type), absl::string_view("\0", 1), common::Sv(id));
}
inline std::string StreamPrefix(std::string_view type, std::string_view id) {
  return absl::StrCat(common::Sv(type), absl::string_view("\0", 1), common::Sv(id), absl::string_view("\0", 1));
}
inline std::string Stream(std::string_view type, std::string_view id, int64_t version) {
  return absl::StrCat(StreamPrefix(type, id), EncodeU64(static_cast<uint64_t>(version)));
}
inline constexpr std::string_view kHead = "head";
inline constexpr std::string_view kRebuilding = "rebuilding";
inline constexpr size_t kHashSize = 32;

}  // namespace yilian::eventstore::keys
