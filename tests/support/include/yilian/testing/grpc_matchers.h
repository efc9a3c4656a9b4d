#pragma once
// EXPECT_GRPC / ASSERT_GRPC: a grpc::Status has the given code (OK, NOT_FOUND, ...); the
// failure message shows the code and the message the server gave.

#include <grpcpp/support/status.h>

#include "gtest/gtest.h"

namespace yilian::testing {

inline ::testing::AssertionResult GrpcIs(const grpc::Status& s, grpc::StatusCode want) {
  if (s.error_code() == want) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "gRPC status " << s.error_code() << " (" << s.error_message() << "), wanted "
                                       << want;
}

}  // namespace yilian::testing

#define EXPECT_GRPC(expr, code_) EXPECT_TRUE(::yilian::testing::GrpcIs((expr), ::grpc::StatusCode::code_))
#define ASSERT_GRPC(expr, code_) ASSERT_TRUE(::yilian::testing::GrpcIs((expr), ::grpc::StatusCode::code_))
