// The green channel's placement rules: ranking by travel time, escalation, explanations.
#include <gtest/gtest.h>

#include "yilian/domain/greenchannel/placement.h"
#include "yilian/testing/status_matchers.h"

namespace yilian::domain::greenchannel {

namespace rv1 = ::yilian::registry::v1;
namespace gv1 = ::yilian::greenchannel::v1;
namespace {

rv1::Location At(double lat, double lon) {
  rv1::Location l;
  l.set_latitude(lat);
  l.set_longitude(lon);
  return l;
}

Site MakeSite(const std::string& id, int tier, rv1::Location where, std::vector<rv1::Capability> caps,
              std::vector<WardBeds> wards, bool lead = false) {
  Site s;
  s.institution.set_institution_id(id);
  s.institution.set_tier(tier);
  *s.institution.mutable_location() = where;
  for (auto c : caps) s.institution.add_capabilities(c);
  s.wards = std::move(wards);
  s.leads_a_consortium = lead;
  return s;
}

// A patient near Lianyuan; a township centre next door, Loudi First (~34 km), Xiangya-3 (~135 km).
class PlacementTest : public ::testing::Test {
 protected:
  const rv1::Location patient_ = At(27.69, 111.66);
  std::vector<Site> Sites(int loudi_stroke_free, int loudi_reserve, int xiangya_stroke_free, int icu_free) {
    return {
        MakeSite("qiaotouhe-thc", 1, At(27.692, 111.655), {rv1::FAMILY_DOCTOR},
                 {{"general-1", rv1::WARD_GENERAL, 5, 0}}),
        MakeSite(
            "loudi-1st", 3, At(27.7286, 111.9948), {rv1::STROKE_CENTRE, rv1::CHEST_PAIN_CENTRE},
            {{"stroke-1", rv1::WARD_STROKE_UNIT, loudi_stroke_free, loudi_reserve}, {"icu-1", rv1::WARD_ICU, 0, 0}},
            /*lead=*/true),
        MakeSite("xiangya-3rd", 3, At(28.2085, 112.9457), {rv1::STROKE_CENTRE},
                 {{"stroke-1", rv1::WARD_STROKE_UNIT, xiangya_stroke_free, 0}, {"icu-1", rv1::WARD_ICU, icu_free, 0}}),
    };
  }
};

TEST_F(PlacementTest, NearestCapableHospitalInsideTheCircleWithEveryCandidateExplained) {
  // 33.5 km at 80 km/h: about 25 minutes, inside the 30-minute circle.
  ASSERT_OK_AND_ASSIGN(auto p, Place(gv1::STROKE, patient_, Sites(3, 2, 5, 5), {.speed_kmh = 80}));
  EXPECT_EQ(p.step(), gv1::IN_CIRCLE);
  EXPECT_EQ(p.institution_id(), "loudi-1st");
  EXPECT_EQ(p.ward_id(), "stroke-1");
  EXPECT_FALSE(p.uses_reserve());
  ASSERT_EQ(p.considered_size(), 3);
  EXPECT_EQ(p.considered(0).institution_id(), "qiaotouhe-thc");
  EXPECT_EQ(p.considered(0).reason(), "lacks STROKE_CENTRE");
  EXPECT_NE(p.considered(1).reason().find("chosen"), std::string::npos);
  EXPECT_NEAR(p.considered(1).distance_km(), 33.5, 2);
  EXPECT_NEAR(p.considered(1).travel_minutes(), 25, 2);
  EXPECT_EQ(p.considered(2).reason(), "not needed: a nearer one was chosen");
}

TEST_F(PlacementTest, EmergenciesMayUseTheReserve) {
  ASSERT_OK_AND_ASSIGN(auto p, Place(gv1::STROKE, patient_, Sites(0, 1, 5, 5)));
  EXPECT_EQ(p.institution_id(), "loudi-1st");
  EXPECT_TRUE(p.uses_reserve());
}

TEST_F(PlacementTest, EscalatesBeyondTheCircleThenToAHigherTierThenToTheLeadsOverflow) {
  PlacementOptions tight{.speed_kmh = 40, .circle_minutes = 30};
  ASSERT_OK_AND_ASSIGN(auto next, Place(gv1::STROKE, patient_, Sites(0, 0, 5, 5), tight));
  EXPECT_EQ(next.step(), gv1::NEXT_BY_TRAVEL_TIME);
  EXPECT_EQ(next.institution_id(), "xiangya-3rd");
  EXPECT_EQ(next.considered(1).reason(), "no free WARD_STROKE_UNIT bed");

  ASSERT_OK_AND_ASSIGN(auto higher, Place(gv1::STROKE, patient_, Sites(0, 0, 0, 2), tight));
  EXPECT_EQ(higher.step(), gv1::HIGHER_TIER);
  EXPECT_EQ(higher.institution_id(), "xiangya-3rd");
  EXPECT_EQ(higher.ward_id(), "icu-1");

  ASSERT_OK_AND_ASSIGN(auto overflow, Place(gv1::STROKE, patient_, Sites(0, 0, 0, 0), tight));
  EXPECT_EQ(overflow.step(), gv1::LEAD_OVERFLOW);
  EXPECT_EQ(overflow.institution_id(), "loudi-1st");
  EXPECT_EQ(overflow.ward_id(), "emergency-overflow");
}

TEST_F(PlacementTest, SuspendedHospitalsAreSkippedAndBadRequestsRefused) {
  auto sites = Sites(3, 0, 5, 5);
  sites[1].institution.set_suspended(true);
  ASSERT_OK_AND_ASSIGN(auto p, Place(gv1::STROKE, patient_, sites));
  EXPECT_EQ(p.institution_id(), "xiangya-3rd");
  EXPECT_EQ(p.considered(1).reason(), "suspended");
  EXPECT_CODE(Place(gv1::CONDITION_UNSPECIFIED, patient_, sites).status(), kInvalidArgument);
  EXPECT_CODE(Place(gv1::STROKE, At(95, 0), sites).status(), kInvalidArgument);
  EXPECT_CODE(Place(gv1::STROKE, patient_, sites, {.speed_kmh = 0}).status(), kInvalidArgument);
  EXPECT_CODE(Place(gv1::STROKE, patient_, {}).status(), kFailedPrecondition);
}

TEST(PlacementNeedsTest, EachConditionNeedsACapabilityAndAWardKind) {
  ASSERT_OK_AND_ASSIGN(auto stemi, NeedsOf(gv1::STEMI));
  EXPECT_EQ(stemi.capability, rv1::CHEST_PAIN_CENTRE);
  EXPECT_EQ(stemi.ward_kind, rv1::WARD_CCU);
  for (auto c : {gv1::STROKE, gv1::MAJOR_TRAUMA, gv1::MATERNAL_EMERGENCY, gv1::PAEDIATRIC_CRITICAL, gv1::OTHER})
    EXPECT_OK(NeedsOf(c).status());
  EXPECT_NEAR(DistanceKm(At(27.7286, 111.9948), At(28.2085, 112.9457)), 107, 5);  // Loudi -> Changsha
}

}  // namespace
}  // namespace yilian::domain::greenchannel
