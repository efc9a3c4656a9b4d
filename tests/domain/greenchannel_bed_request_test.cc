// A referral's bed request as the bed board answers it: reserved or declined once, then
// released (cancelled or lapsed) or taken up; every wrong move a precise error.
#include <gtest/gtest.h>

#include "yilian/common/timestamp.h"
#include "yilian/domain/greenchannel/bed_request.h"
#include "yilian/testing/status_matchers.h"

namespace yilian::domain::greenchannel {

namespace gv1 = ::yilian::greenchannel::v1;
namespace {

gv1::BedRequest Answer(bool reserved) {
  gv1::BedRequest a;
  a.set_request_id("req-1");
  a.set_referral_id("ref-1");
  a.set_institution_id("loudi-1st");
  a.set_ward_kind(registry::v1::WARD_GENERAL);
  if (reserved) {
    a.set_ward_id("general-1");
    a.set_hold_id("bed:req-1");
    YILIAN_SET_MS(a, expires_at, 1000);
  } else {
    a.set_reason("no free bed");
  }
  return a;
}

std::optional<gv1::BedRequest> Fold(const RequestEvents& events, std::optional<gv1::BedRequest> s = std::nullopt) {
  for (const auto& e : events) EXPECT_OK(Evolve(s, e));
  return s;
}

TEST(BedRequestTest, ReservedThenReleasedOrTakenUp) {
  ASSERT_OK_AND_ASSIGN(auto events, AnswerBedRequest(std::nullopt, Answer(true)));
  auto s = Fold(events);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->status(), gv1::RESERVED);
  EXPECT_EQ(s->hold_id(), "bed:req-1");
  EXPECT_CODE(AnswerBedRequest(s, Answer(true)), kAlreadyExists);

  ASSERT_OK_AND_ASSIGN(auto released, ReleaseBedRequest(s, "cancelled: patient declined"));
  auto r = Fold(released, s);
  EXPECT_EQ(r->status(), gv1::RELEASED);
  EXPECT_EQ(r->reason(), "cancelled: patient declined");
  EXPECT_CODE(ReleaseBedRequest(r, "again"), kFailedPrecondition);
  EXPECT_CODE(TakeUpBedRequest(r, "adm-1"), kFailedPrecondition);

  ASSERT_OK_AND_ASSIGN(auto taken, TakeUpBedRequest(s, "adm-1"));
  EXPECT_EQ(Fold(taken, s)->status(), gv1::TAKEN_UP);
}

TEST(BedRequestTest, DeclinedSaysWhyAndCannotBeReleased) {
  ASSERT_OK_AND_ASSIGN(auto events, AnswerBedRequest(std::nullopt, Answer(false)));
  auto s = Fold(events);
  EXPECT_EQ(s->status(), gv1::DECLINED);
  EXPECT_EQ(s->reason(), "no free bed");
  EXPECT_CODE(ReleaseBedRequest(s, "x"), kFailedPrecondition);
  EXPECT_CODE(TakeUpBedRequest(std::nullopt, "adm"), kNotFound);
}

TEST(BedRequestTest, MalformedAnswersAreRefused) {
  auto a = Answer(false);
  a.clear_reason();
  EXPECT_CODE(AnswerBedRequest(std::nullopt, a), kInvalidArgument);
  a = Answer(true);
  a.clear_ward_id();
  EXPECT_CODE(AnswerBedRequest(std::nullopt, a), kInvalidArgument);
  a = Answer(true);
  a.set_request_id(std::string(129, 'x'));
  EXPECT_CODE(AnswerBedRequest(std::nullopt, a), kInvalidArgument);
  a = Answer(true);
  a.clear_referral_id();
  EXPECT_CODE(AnswerBedRequest(std::nullopt, a), kInvalidArgument);
  ASSERT_OK_AND_ASSIGN(auto events, AnswerBedRequest(std::nullopt, Answer(true)));
  auto s = Fold(events);
  EXPECT_CODE(ReleaseBedRequest(s, ""), kInvalidArgument);
  EXPECT_CODE(TakeUpBedRequest(s, ""), kInvalidArgument);
  gv1::BedRequestEvent empty;
  EXPECT_CODE(Evolve(s, empty), kInvalidArgument);
  EXPECT_CODE(Evolve(s, events[0]), kFailedPrecondition);  // answered twice
}

}  // namespace
}  // namespace yilian::domain::greenchannel
