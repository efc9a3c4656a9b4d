// Reserved expert slots in the referral core: quotas per primary-care centre, only that
// centre's referrals book them, signed residents first, release to the general pool at the
// cut-off, one slot per referral, and releases.
#include <gtest/gtest.h>

#include "yilian/common/timestamp.h"
#include "yilian/domain/referral/slots.h"
#include "yilian/testing/status_matchers.h"

namespace yilian::domain::referral {
namespace {

namespace fv1 = ::yilian::referral::v1;
namespace rv1 = ::yilian::registry::v1;

// 4 slots at ruijin on 2026-12-01 morning (08:00-12:00 China time, 00:00 UTC): 1 reserved for wuliqiao, 1 for
// dapuqiao; cut-off 2026-11-30 08:00 UTC.
rv1::ExpertSession Session() {
  rv1::ExpertSession s;
  s.set_session_id("neuro-am");
  s.set_institution_id("ruijin");
  s.mutable_starts_at()->set_seconds(
      absl::ToUnixSeconds(absl::FromCivil(absl::CivilHour(2026, 12, 1, 0), absl::UTCTimeZone())));
  s.mutable_ends_at()->set_seconds(s.starts_at().seconds() + 4 * 3600);
  s.set_slot_count(4);
  auto* q = s.add_reserved();
  q->set_institution_id("wuliqiao-chc");
  q->set_slots(1);
  q = s.add_reserved();
  q->set_institution_id("dapuqiao-chc");
  q->set_slots(1);
  s.mutable_release_cutoff()->set_seconds(
      absl::ToUnixSeconds(absl::FromCivil(absl::CivilHour(2026, 11, 30, 8), absl::UTCTimeZone())));
  return s;
}

fv1::Referral From(const std::string& sender, const std::string& id) {
  fv1::Referral r;
  r.set_referral_id(id);
  r.set_sender_institution_id(sender);
  r.set_receiver_institution_id("ruijin");
  return r;
}

absl::Time At(int day, int hour) { return absl::FromCivil(absl::CivilHour(2026, 11, day, hour), absl::UTCTimeZone()); }

// Books and folds; returns whether the slot came from the reserved quota.
bool Book(const rv1::ExpertSession& s, fv1::SessionBookings& b, const fv1::Referral& r, bool resident, absl::Time now) {
  auto e = BookSlot(s, b, r, resident, now);
  EXPECT_OK(e.status());
  if (!e.ok()) return false;
  EXPECT_OK(EvolveSession(b, *e));
  return e->booked().booking().reserved();
}

TEST(ReferralSlotsTest, SessionStartsAtItsStartInstant) {
  EXPECT_EQ(SessionStart(Session()), absl::FromCivil(absl::CivilHour(2026, 12, 1, 0), absl::UTCTimeZone()));
  auto s = Session();
  s.mutable_starts_at()->set_seconds(s.starts_at().seconds() + 6 * 3600);
  EXPECT_EQ(SessionStart(s), absl::FromCivil(absl::CivilHour(2026, 12, 1, 6), absl::UTCTimeZone()));
  s.clear_starts_at();
  EXPECT_EQ(SessionStart(s), absl::InfinitePast());  // no start: never bookable
}

TEST(ReferralSlotsTest, ResidentsTakeTheirCentresReservedSlotFirst) {
  const auto s = Session();
  fv1::SessionBookings b;
  // Two days before: wuliqiao's reserved slot is for its signed residents only.
  auto a = Availability(s, b, "wuliqiao-chc", false, At(28, 8));
  EXPECT_EQ(a.reserved_left(), 0);
  EXPECT_EQ(a.reserved_held(), 1);
  EXPECT_EQ(a.general_left(), 2);
  EXPECT_EQ(common::UnixMs(a.residents_until()), absl::ToUnixMillis(At(29, 8)));
  EXPECT_FALSE(Book(s, b, From("wuliqiao-chc", "r1"), false, At(28, 8)));  // general pool
  EXPECT_TRUE(Book(s, b, From("wuliqiao-chc", "r2"), true, At(28, 9)));    // resident: the reserved one
  EXPECT_EQ(Availability(s, b, "wuliqiao-chc", true, At(28, 9)).reserved_left(), 0);
  // Another centre cannot take dapuqiao's slot, only the last general one.
  EXPECT_FALSE(Book(s, b, From("huaihai-chc", "r3"), true, At(28, 10)));
  EXPECT_CODE(BookSlot(s, b, From("huaihai-chc", "r4"), true, At(28, 11)), kFailedPrecondition);
  // Dapuqiao's non-resident waits for the last day before the cut-off, then gets its slot.
  EXPECT_CODE(BookSlot(s, b, From("dapuqiao-chc", "r5"), false, At(29, 7)), kFailedPrecondition);
  EXPECT_TRUE(Book(s, b, From("dapuqiao-chc", "r5"), false, At(29, 9)));
  EXPECT_CODE(BookSlot(s, b, From("dapuqiao-chc", "r6"), true, At(29, 10)), kFailedPrecondition);
}

TEST(ReferralSlotsTest, UnbookedReservedSlotsGoToTheGeneralPoolAtTheCutoff) {
  const auto s = Session();
  fv1::SessionBookings b;
  EXPECT_FALSE(Book(s, b, From("huaihai-chc", "r1"), false, At(28, 8)));
  EXPECT_FALSE(Book(s, b, From("huaihai-chc", "r2"), false, At(28, 8)));
  EXPECT_CODE(BookSlot(s, b, From("huaihai-chc", "r3"), false, At(30, 7)), kFailedPrecondition);
  // After the cut-off both reserved slots are anyone's.
  auto a = Availability(s, b, "huaihai-chc", false, At(30, 8));
  EXPECT_EQ(a.general_left(), 2);
  EXPECT_EQ(a.reserved_left(), 0);
  EXPECT_FALSE(Book(s, b, From("huaihai-chc", "r3"), false, At(30, 8)));
  EXPECT_FALSE(Book(s, b, From("wuliqiao-chc", "r4"), true, At(30, 9)));
  EXPECT_CODE(BookSlot(s, b, From("wuliqiao-chc", "r5"), true, At(30, 10)), kFailedPrecondition);
  EXPECT_EQ(b.bookings_size(), 4);
}

TEST(ReferralSlotsTest, OneSlotPerReferralReleasedOnCancelAndRefusedWhenWrong) {
  auto s = Session();
  fv1::SessionBookings b;
  Book(s, b, From("wuliqiao-chc", "r1"), true, At(28, 8));
  EXPECT_CODE(BookSlot(s, b, From("wuliqiao-chc", "r1"), true, At(28, 9)), kAlreadyExists);
  auto wrong = From("wuliqiao-chc", "r2");
  wrong.set_receiver_institution_id("loudi-1st");
  EXPECT_CODE(BookSlot(s, b, wrong, true, At(28, 9)), kFailedPrecondition);
  const absl::Time started = absl::FromCivil(absl::CivilHour(2026, 12, 1, 1), absl::UTCTimeZone());
  EXPECT_CODE(BookSlot(s, b, From("wuliqiao-chc", "r2"), true, started), kFailedPrecondition);
  auto released = ReleaseSlot(b, "r1", "cancelled", At(28, 10));
  ASSERT_TRUE(released.has_value());
  ASSERT_OK(EvolveSession(b, *released));
  EXPECT_EQ(b.bookings_size(), 0);
  EXPECT_FALSE(ReleaseSlot(b, "r1", "again", At(28, 11)).has_value());
  EXPECT_EQ(Availability(s, b, "wuliqiao-chc", true, At(28, 11)).reserved_left(), 1);
  s.set_cancelled(true);
  EXPECT_CODE(BookSlot(s, b, From("wuliqiao-chc", "r3"), true, At(28, 12)), kFailedPrecondition);
}

}  // namespace
}  // namespace yilian::domain::referral
