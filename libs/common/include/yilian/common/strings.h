#pragma once
// Debian's Abseil (20220623) is built with its own absl::string_view rather than
// std::string_view, so absl::StrCat and friends do not take a std::string_view.
// Our APIs use std::string_view; Sv() adapts one at an absl call.

#include <string_view>

#include "absl/strings/string_view.h"

namespace yilian::common {

inline absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }
inline std::string_view StdSv(absl::string_view s) { return std::string_view(s.data(), s.size()); }

}  // namespace yilian::common
