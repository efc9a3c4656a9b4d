// The bed board's rules for one ward: holds, the emergency reserve, admission, expiry and
// capacity cuts, and a randomized run that never promises a bed twice.
#include <gtest/gtest.h>

#include <limits>
#include <random>

#include "yilian/common/timestamp.h"
#include "yilian/domain/greenchannel/bed_board.h"
#include "yilian/testing/status_matchers.h"

namespace yilian::domain::greenchannel {

namespace rv1 = ::yilian::registry::v1;
namespace gv1 = ::yilian::greenchannel::v1;
namespace {

void Apply(std::optional<gv1::WardBoard>& w, const absl::StatusOr<BoardEvents>& events) {
  ASSERT_OK(events.status());
  for (const auto& e : *events) ASSERT_OK(Evolve(w, e));
}

gv1::WardCapacitySet Capacity(int capacity, int reserved) {
  gv1::WardCapacitySet c;
  c.set_institution_id("loudi-1st");
  c.set_ward_id("stroke-1");
  c.set_kind(rv1::WARD_STROKE_UNIT);
  c.set_capacity(capacity);
  c.set_emergency_reserved(reserved);
  return c;
}

gv1::BedHold Hold(const std::string& id, gv1::HoldPurpose purpose, int64_t placed = 0, int64_t expires = 60'000) {
  gv1::BedHold h;
  h.set_hold_id(id);
  h.set_purpose(purpose);
  h.set_subject_id("subject-" + id);
  YILIAN_SET_MS(h, placed_at, placed);
  YILIAN_SET_MS(h, expires_at, expires);
  return h;
}

TEST(BedBoardTest, ReferralsLeaveTheEmergencyReserveAlone) {
  std::optional<gv1::WardBoard> w;
  EXPECT_CODE(PlaceHold(w, Hold("h0", gv1::EMERGENCY)).status(), kFailedPrecondition);  // capacity unknown
  Apply(w, SetCapacity(w, Capacity(4, 1)));
  for (const char* id : {"r1", "r2", "r3"}) Apply(w, PlaceHold(w, Hold(id, gv1::REFERRAL)));
  EXPECT_EQ(FreeBeds(*w, gv1::REFERRAL), 0);
  EXPECT_EQ(FreeBeds(*w, gv1::EMERGENCY), 1);
  auto refused = PlaceHold(w, Hold("r4", gv1::REFERRAL));
  EXPECT_CODE(refused.status(), kFailedPrecondition);
  EXPECT_NE(std::string(refused.status().message()).find("3 of 4 in use"), std::string::npos) << refused.status();
  auto e = PlaceHold(w, Hold("e1", gv1::EMERGENCY));
  ASSERT_OK(e.status());
  EXPECT_TRUE((*e)[0].held().hold().uses_reserve());
  Apply(w, e);
  EXPECT_CODE(PlaceHold(w, Hold("e2", gv1::EMERGENCY)).status(), kFailedPrecondition);
  EXPECT_CODE(PlaceHold(w, Hold("r1", gv1::EMERGENCY)).status(), kAlreadyExists);
}

// Found by the fuzzer (fuzz/regressions/greenchannel_events): a board from outside may hold
// any int32 sizes; free beds are counted without overflowing and never below zero.
TEST(BedBoardTest, FreeBedsOfExtremeSizesNeitherOverflowNorGoNegative) {
  gv1::WardBoard w;
  w.set_capacity(std::numeric_limits<int32_t>::min());
  w.set_emergency_reserved(5);
  EXPECT_EQ(FreeBeds(w, gv1::REFERRAL), 0);
  EXPECT_EQ(FreeBeds(w, gv1::EMERGENCY), 0);
  w.set_capacity(std::numeric_limits<int32_t>::max());
  w.set_emergency_reserved(std::numeric_limits<int32_t>::min());
  w.add_holds();
  EXPECT_EQ(FreeBeds(w, gv1::REFERRAL), std::numeric_limits<int32_t>::max());
  EXPECT_EQ(FreeBeds(w, gv1::EMERGENCY), std::numeric_limits<int32_t>::max() - 1);
}

TEST(BedBoardTest, AdmissionKeepsTheBedAndDischargeFreesIt) {
  std::optional<gv1::WardBoard> w;
  Apply(w, SetCapacity(w, Capacity(1, 0)));
  Apply(w, PlaceHold(w, Hold("h1", gv1::EMERGENCY)));
  Apply(w, Admit(w, "h1", "adm-1"));
  EXPECT_EQ(w->holds_size(), 0);
  EXPECT_EQ(FreeBeds(*w, gv1::EMERGENCY), 0);
  EXPECT_CODE(Admit(w, "h1", "adm-2").status(), kNotFound);
  EXPECT_CODE(Vacate(w, "adm-9", "discharged").status(), kNotFound);
  EXPECT_CODE(Vacate(w, "adm-1", "").status(), kInvalidArgument);
  Apply(w, Vacate(w, "adm-1", "discharged home"));
  EXPECT_EQ(FreeBeds(*w, gv1::EMERGENCY), 1);
}

TEST(BedBoardTest, HoldsExpireAtTheirDeadlineOnTheInjectedClock) {
  std::optional<gv1::WardBoard> w;
  Apply(w, SetCapacity(w, Capacity(2, 0)));
  Apply(w, PlaceHold(w, Hold("h1", gv1::EMERGENCY, 1'000, 31'000)));
  Apply(w, PlaceHold(w, Hold("h2", gv1::REFERRAL, 1'000, 91'000)));
  EXPECT_TRUE(Expire(w, 30'999).empty());
  auto due = Expire(w, 31'000);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].hold_expired().hold_id(), "h1");
  Apply(w, due);
  EXPECT_EQ(FreeBeds(*w, gv1::EMERGENCY), 1);
  EXPECT_CODE(Admit(w, "h1", "adm-1").status(), kNotFound) << "an expired hold cannot be admitted";
  EXPECT_CODE(PlaceHold(w, Hold("h3", gv1::EMERGENCY, 5, 5)).status(), kInvalidArgument);
}

TEST(BedBoardTest, ACapacityCutNeverEvictsAndBlocksNewHoldsUntilOccupancyFalls) {
  std::optional<gv1::WardBoard> w;
  Apply(w, SetCapacity(w, Capacity(4, 1)));
  for (const char* id : {"a", "b", "c", "d"}) {
    Apply(w, PlaceHold(w, Hold(id, gv1::EMERGENCY)));
    Apply(w, Admit(w, id, std::string("adm-") + id));
  }
  auto cut = SetCapacity(w, Capacity(2, 1));
  ASSERT_OK(cut.status());
  EXPECT_TRUE((*cut)[0].capacity_set().over_capacity());
  Apply(w, cut);
  EXPECT_EQ(w->admissions_size(), 4) << "nobody is evicted";
  EXPECT_CODE(PlaceHold(w, Hold("e", gv1::EMERGENCY)).status(), kFailedPrecondition);
  Apply(w, Vacate(w, "adm-a", "discharged"));
  Apply(w, Vacate(w, "adm-b", "transferred"));
  EXPECT_EQ(FreeBeds(*w, gv1::EMERGENCY), 0);
  Apply(w, Vacate(w, "adm-c", "discharged"));
  EXPECT_EQ(FreeBeds(*w, gv1::EMERGENCY), 1);
  EXPECT_EQ(FreeBeds(*w, gv1::REFERRAL), 0);
  EXPECT_TRUE(SetCapacity(w, Capacity(2, 1))->empty());
  EXPECT_CODE(SetCapacity(w, Capacity(2, 3)).status(), kInvalidArgument);
}

TEST(BedBoardTest, ARandomRunNeverPromisesMoreBedsThanTheWardHas) {
  std::mt19937 rng(20261123);
  std::optional<gv1::WardBoard> w;
  Apply(w, SetCapacity(w, Capacity(6, 2)));
  int next = 0;
  for (int step = 0; step < 5000; ++step) {
    const int op = rng() % 6;
    const int64_t now = step * 1000;
    absl::StatusOr<BoardEvents> ev = BoardEvents{};
    if (op <= 1)
      ev = PlaceHold(w, Hold("h" + std::to_string(next++), op ? gv1::EMERGENCY : gv1::REFERRAL, now,
                             now + 1000 * (1 + rng() % 20)));
    if (op == 2 && w->holds_size() > 0)
      ev = Admit(w, w->holds(rng() % w->holds_size()).hold_id(), "adm" + std::to_string(next++));
    if (op == 3 && w->admissions_size() > 0) ev = Vacate(w, w->admissions(rng() % w->admissions_size()), "discharged");
    if (op == 4) ev = Expire(w, now);
    if (op == 5 && w->holds_size() > 0) ev = ReleaseHold(w, w->holds(0).hold_id(), "case closed");
    if (!ev.ok()) {
      ASSERT_EQ(ev.status().code(), absl::StatusCode::kFailedPrecondition) << ev.status();
      continue;
    }
    for (const auto& e : *ev) ASSERT_OK(Evolve(w, e));
    ASSERT_LE(w->holds_size() + w->admissions_size(), 6) << "step " << step;
    int referral_holds = 0;
    for (const auto& h : w->holds()) referral_holds += h.purpose() == gv1::REFERRAL;
    ASSERT_LE(referral_holds, 4) << "referrals never reach into the emergency reserve";
  }
}

}  // namespace
}  // namespace yilian::domain::greenchannel
