#pragma once
// ASSERT_OK / EXPECT_OK for absl::Status and StatusOr, and ASSERT_OK_AND_ASSIGN.

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "yilian/common/status_macros.h"

#define EXPECT_OK(expr) EXPECT_EQ(::yilian::common::AsStatus(expr), ::absl::OkStatus())
#define ASSERT_OK(expr) ASSERT_EQ(::yilian::common::AsStatus(expr), ::absl::OkStatus())
#define ASSERT_OK_AND_ASSIGN(lhs, rexpr) \
  YILIAN_ASSERT_OK_AND_ASSIGN_IMPL_(YILIAN_CONCAT_(yilian_test_statusor_, __COUNTER__), lhs, rexpr)
#define YILIAN_ASSERT_OK_AND_ASSIGN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                      \
  ASSERT_TRUE(statusor.ok()) << statusor.status();              \
  lhs = *std::move(statusor)
#define EXPECT_CODE(expr, code_) \
  EXPECT_EQ(::yilian::common::AsStatus(expr).code(), ::absl::StatusCode::code_) << ::yilian::common::AsStatus(expr)
