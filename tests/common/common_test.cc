// UUIDs, roles, status macros, clock.
#include <set>

#include "gtest/gtest.h"
#include "yilian/common/clock.h"
#include "yilian/common/oneof_event.h"
#include "yilian/common/principal.h"
#include "yilian/common/problem.h"
#include "yilian/common/sha256.h"
#include "yilian/common/timestamp.h"
#include "yilian/common/uuid.h"
#include "yilian/referral/v1/referral.pb.h"
#include "yilian/registry/v1/registry.pb.h"
#include "yilian/testing/status_matchers.h"

namespace yilian::common {
namespace {

// An envelope carries one kind of a wrapper's oneof; a wrapper reused from event to event (as
// a fold does) holds exactly the last one unpacked into it.
TEST(OneofEventTest, UnpacksEachKindIntoAReusedWrapperAndRefusesForeignOrBrokenPayloads) {
  namespace fv1 = ::yilian::referral::v1;
  fv1::ReferralEvent received, completed;
  YILIAN_SET_MS(*received.mutable_received(), at, 5);
  completed.mutable_completed()->set_outcome_summary("stable");
  YILIAN_SET_MS(*completed.mutable_completed(), at, 9);
  const events::v1::Envelope a = EnvelopeOf(received), b = EnvelopeOf(completed);
  EXPECT_EQ(a.event_type(), "yilian.referral.v1.ReferralReceived");
  fv1::ReferralEvent reused;
  ASSERT_OK(UnpackOneof(b, &reused));
  EXPECT_EQ(reused.SerializeAsString(), completed.SerializeAsString());
  ASSERT_OK(UnpackOneof(a, &reused));
  EXPECT_EQ(reused.SerializeAsString(), received.SerializeAsString()) << "nothing of the previous kind is left";
  ASSERT_OK_AND_ASSIGN(auto again, UnpackEvent<fv1::ReferralEvent>(b));
  EXPECT_EQ(again.completed().outcome_summary(), "stable");

  EXPECT_EQ(UnpackEvent<::yilian::registry::v1::RegistryEvent>(a).status().code(), absl::StatusCode::kInvalidArgument)
      << "a referral event is not a registry event";
  events::v1::Envelope no_slash = a;
  no_slash.mutable_payload()->set_type_url("yilian.referral.v1.ReferralReceived");
  EXPECT_EQ(UnpackOneof(no_slash, &reused).code(), absl::StatusCode::kInvalidArgument);
  events::v1::Envelope broken = a;
  broken.mutable_payload()->set_value("\xff\xff\xff");
  EXPECT_EQ(UnpackOneof(broken, &reused).code(), absl::StatusCode::kDataLoss);
}

TEST(UuidTest, Version7UniqueAndTimeOrdered) {
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) {
    auto u = NewUuid();
    ASSERT_TRUE(IsUuid(u)) << u;
    EXPECT_EQ(u[14], '7');
    EXPECT_TRUE(u[19] == '8' || u[19] == '9' || u[19] == 'a' || u[19] == 'b');
    EXPECT_TRUE(seen.insert(u).second);
  }
  auto early = NewUuidAt(absl::FromUnixMillis(1'000'000));
  auto late = NewUuidAt(absl::FromUnixMillis(2'000'000));
  EXPECT_LT(early, late);
  EXPECT_FALSE(IsUuid("not-a-uuid"));
}

TEST(PrincipalTest, RolesRoundTripAndUnknownNamesAreExplained) {
  for (auto name : {"consortium-admin", "clinician", "referral-office", "dispatch", "auditor", "service"}) {
    ASSERT_OK_AND_ASSIGN(auto role, ParseRole(name));
    EXPECT_EQ(RoleName(role), name);
  }
  auto bad = ParseRole("doctor");
  EXPECT_CODE(bad, kInvalidArgument);
  EXPECT_NE(bad.status().message().find("\"doctor\" is not one of"), std::string::npos);
  Principal p{"dr.li", "loudi-1st", Role::ROLE_CLINICIAN};
  EXPECT_EQ(Principal::FromProto(p.ToProto()), p);
}

absl::StatusOr<int> Half(int x) {
  if (x % 2) return absl::InvalidArgumentError("odd");
  return x / 2;
}
absl::StatusOr<int> Quarter(int x) {
  ASSIGN_OR_RETURN(int h, Half(x));
  ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}
absl::Status Check(int x) {
  RETURN_IF_ERROR(Half(x));
  RETURN_IF_ERROR(absl::OkStatus());
  return absl::OkStatus();
}

TEST(StatusMacrosTest, PropagateErrorsAndValues) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_CODE(Quarter(6), kInvalidArgument);
  EXPECT_OK(Check(2));
  EXPECT_CODE(Check(3), kInvalidArgument);
}

TEST(ProblemTest, MarksTravelWithTheStatusAndEveryErrorHasAType) {
  // A plain error: typed by its code.
  const auto plain = ProblemOf(absl::PermissionDeniedError("not yours"));
  EXPECT_EQ(plain.type(), "permission-denied");
  EXPECT_EQ(plain.title(), "PERMISSION_DENIED");
  EXPECT_EQ(plain.detail(), "not yours");
  // Marks survive copies and returns, and a later mark keeps the earlier ones.
  absl::Status field = FieldError("routing.reason", absl::InvalidArgumentError("routing.reason is too long"));
  const absl::Status copy = field;
  EXPECT_EQ(ProblemOf(copy).type(), "field-invalid");
  EXPECT_EQ(ProblemOf(copy).field(), "routing.reason");
  const auto conflict = ProblemOf(VersionConflict(7, absl::AbortedError("at 7")));
  EXPECT_EQ(conflict.type(), "version-conflict");
  EXPECT_EQ(conflict.current_version(), 7);
  const auto wrong = ProblemOf(WrongState({"accept", "reject"}, absl::FailedPreconditionError("it is requested")));
  EXPECT_EQ(wrong.type(), "wrong-state");
  ASSERT_EQ(wrong.allowed_actions_size(), 2);
  EXPECT_EQ(wrong.allowed_actions(1), "reject");
  const auto terminal = ProblemOf(WrongState({}, absl::FailedPreconditionError("it is completed")));
  EXPECT_EQ(terminal.type(), "wrong-state");
  EXPECT_EQ(terminal.allowed_actions_size(), 0);
  const auto invalid = InvalidField("severity", "severity 9 is not 1 .. 5");
  EXPECT_EQ(invalid.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(invalid.message(), "severity 9 is not 1 .. 5");
  EXPECT_EQ(ProblemOf(invalid).field(), "severity");
  // Marking OK changes nothing.
  EXPECT_TRUE(FieldError("x", absl::OkStatus()).ok());
}

TEST(ClockTest, ManualClockMovesOnlyWhenTold) {
  ManualClock clock(absl::FromUnixSeconds(100));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(100));
  clock.Advance(absl::Minutes(1));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(160));
  EXPECT_GT(Clock::Real().Now(), absl::FromUnixSeconds(1'600'000'000));
}

TEST(Sha256Test, KnownVector) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256("abc").size(), 32u);
}

}  // namespace
}  // namespace yilian::common
