#pragma once
// RETURN_IF_ERROR and ASSIGN_OR_RETURN: Debian's Abseil (20220623) does not ship them.
//
//   RETURN_IF_ERROR(journal->Append(request));
//   ASSIGN_OR_RETURN(auto entry, journal->Read(seq));

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define YILIAN_CONCAT_INNER_(a, b) a##b
#define YILIAN_CONCAT_(a, b) YILIAN_CONCAT_INNER_(a, b)

#define RETURN_IF_ERROR(expr)                                         \
  do {                                                                \
    ::absl::Status yilian_status_ = ::yilian::common::AsStatus(expr); \
    if (!yilian_status_.ok()) return yilian_status_;                  \
  } while (0)

#define ASSIGN_OR_RETURN(lhs, rexpr) \
  YILIAN_ASSIGN_OR_RETURN_IMPL_(YILIAN_CONCAT_(yilian_statusor_, __COUNTER__), lhs, rexpr)

#define YILIAN_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                  \
  if (!statusor.ok()) return std::move(statusor).status();  \
  lhs = *std::move(statusor)

namespace yilian::common {
inline const absl::Status& AsStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& AsStatus(const absl::StatusOr<T>& s) {
  return s.status();
}
}  // namespace yilian::common
