// An emergency case's life: opening, redirect, milestones in order, closing, and the
// door-to-needle / door-to-balloon clocks against their targets.
#include <gtest/gtest.h>

#include "yilian/common/problem.h"
#include "yilian/common/timestamp.h"
#include "yilian/domain/greenchannel/emergency_case.h"
#include "yilian/testing/status_matchers.h"

namespace yilian::domain::greenchannel {

namespace gv1 = ::yilian::greenchannel::v1;
namespace {

constexpr int64_t kMinute = 60'000;
constexpr int64_t kContact = 1'790'000'000'000;  // first medical contact

void Apply(std::optional<gv1::EmergencyCase>& c, const absl::StatusOr<CaseEvents>& events) {
  ASSERT_OK(events.status());
  for (const auto& e : *events) ASSERT_OK(Evolve(c, e));
}

gv1::EmergencyCase Dispatch(gv1::Condition condition) {
  gv1::EmergencyCase d;
  d.set_case_id("120-2026-0001");
  d.set_condition(condition);
  d.set_severity(1);
  d.mutable_location()->set_latitude(27.69);
  d.mutable_location()->set_longitude(111.66);
  YILIAN_SET_MS(d, first_medical_contact_at, kContact);
  d.set_dispatch_centre("loudi-120");
  d.mutable_placement()->set_step(gv1::IN_CIRCLE);
  d.mutable_placement()->set_institution_id("loudi-1st");
  d.mutable_placement()->set_ward_id("stroke-1");
  return d;
}

TEST(EmergencyCaseTest, StrokeCaseFromDispatchToNeedleMeetsTheSixtyMinuteTarget) {
  std::optional<gv1::EmergencyCase> c;
  Apply(c, OpenCase(c, Dispatch(gv1::STROKE), "hold-1"));
  EXPECT_EQ(c->status(), gv1::EN_ROUTE);
  EXPECT_EQ(c->hold_id(), "hold-1");
  EXPECT_CODE(OpenCase(c, Dispatch(gv1::STROKE), "hold-1").status(), kAlreadyExists);
  EXPECT_CODE(RecordMilestone(c, gv1::NEEDLE, kContact + 30 * kMinute).status(), kFailedPrecondition);
  Apply(c, RecordMilestone(c, gv1::ARRIVAL, kContact + 25 * kMinute));
  EXPECT_EQ(c->status(), gv1::ARRIVED);
  auto late = RedirectCase(c, c->placement(), "hold-2", "too late").status();
  EXPECT_CODE(late, kFailedPrecondition);
  // The refusal says what the case still allows: a program can offer those.
  const auto problem = common::ProblemOf(late);
  EXPECT_EQ(problem.type(), "wrong-state");
  EXPECT_EQ(std::vector<std::string>(problem.allowed_actions().begin(), problem.allowed_actions().end()),
            (std::vector<std::string>{"record-milestone", "close-case"}));
  Apply(c, RecordMilestone(c, gv1::IMAGING, kContact + 40 * kMinute));
  EXPECT_FALSE(ClocksOf(*c).target_met()) << "no needle yet";
  Apply(c, RecordMilestone(c, gv1::NEEDLE, kContact + 73 * kMinute));
  EXPECT_CODE(RecordMilestone(c, gv1::NEEDLE, kContact + 74 * kMinute).status(), kAlreadyExists);
  EXPECT_CODE(RecordMilestone(c, gv1::BALLOON, kContact + 80 * kMinute).status(), kInvalidArgument);
  const auto clocks = ClocksOf(*c);
  EXPECT_EQ(clocks.door_to_needle_min(), 48);
  EXPECT_EQ(clocks.door_to_balloon_min(), -1);
  EXPECT_EQ(clocks.target_min(), 60);
  EXPECT_TRUE(clocks.target_met());
  Apply(c, RecordMilestone(c, gv1::ADMISSION, kContact + 90 * kMinute));
  EXPECT_EQ(c->status(), gv1::ADMITTED);
  EXPECT_CODE(CloseCase(c, "", kContact).status(), kInvalidArgument);
  Apply(c, CloseCase(c, "admitted to the stroke unit", kContact + 91 * kMinute));
  EXPECT_EQ(c->status(), gv1::CLOSED);
  EXPECT_CODE(RecordMilestone(c, gv1::IMAGING, kContact + 95 * kMinute).status(), kFailedPrecondition);
  EXPECT_CODE(CloseCase(c, "again", kContact).status(), kFailedPrecondition);
  EXPECT_EQ(common::ProblemOf(CloseCase(c, "again", kContact).status()).type(), "wrong-state");
  EXPECT_TRUE(AllowedCaseActions(*c).empty());
}

TEST(EmergencyCaseTest, StemiDoorToBalloonOverNinetyMinutesMissesItsTarget) {
  std::optional<gv1::EmergencyCase> c;
  Apply(c, OpenCase(c, Dispatch(gv1::STEMI), "hold-1"));
  Apply(c, RecordMilestone(c, gv1::ARRIVAL, kContact + 20 * kMinute));
  Apply(c, RecordMilestone(c, gv1::BALLOON, kContact + 115 * kMinute));
  EXPECT_EQ(ClocksOf(*c).door_to_balloon_min(), 95);
  EXPECT_EQ(ClocksOf(*c).target_min(), 90);
  EXPECT_FALSE(ClocksOf(*c).target_met());
  // From first medical contact the balloon came at 115 minutes: within the 120 of that clock.
  EXPECT_EQ(ClocksOf(*c).fmc_to_balloon_min(), 115);
  EXPECT_EQ(ClocksOf(*c).fmc_target_min(), 120);
  EXPECT_TRUE(ClocksOf(*c).fmc_target_met());
  EXPECT_EQ(ClocksOf(*c).door_to_imaging_min(), -1);
  TreatmentClocksTally tally;
  tally.Add(*c);
  const auto rows = tally.Rows();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].clock(), "door-to-balloon");
  EXPECT_EQ(rows[0].target_met(), 0);
  EXPECT_EQ(rows[1].clock(), "fmc-to-balloon");
  EXPECT_EQ(rows[1].target_met(), 1);
  EXPECT_EQ(rows[1].target_min(), 120);
}

TEST(EmergencyCaseTest, RedirectBeforeArrivalAndMalformedCommands) {
  std::optional<gv1::EmergencyCase> c;
  EXPECT_CODE(RecordMilestone(c, gv1::ARRIVAL, kContact).status(), kNotFound);
  auto bad = Dispatch(gv1::STROKE);
  bad.set_severity(9);
  EXPECT_CODE(OpenCase(c, bad, "h").status(), kInvalidArgument);
  bad = Dispatch(gv1::CONDITION_UNSPECIFIED);
  EXPECT_CODE(OpenCase(c, bad, "h").status(), kInvalidArgument);
  bad = Dispatch(gv1::STROKE);
  bad.clear_location();
  EXPECT_CODE(OpenCase(c, bad, "h").status(), kInvalidArgument);
  EXPECT_CODE(OpenCase(c, Dispatch(gv1::STROKE), "").status(), kInvalidArgument);  // a bed needs its hold
  bad = Dispatch(gv1::STROKE);
  bad.set_status(gv1::CLOSED);
  EXPECT_CODE(OpenCase(c, bad, "h").status(), kInvalidArgument);

  Apply(c, OpenCase(c, Dispatch(gv1::STROKE), "hold-1"));
  gv1::Placement overflow;
  overflow.set_step(gv1::LEAD_OVERFLOW);
  overflow.set_institution_id("xiangya-3rd");
  overflow.set_ward_id("emergency-overflow");
  EXPECT_CODE(RedirectCase(c, overflow, "", "").status(), kInvalidArgument);
  Apply(c, RedirectCase(c, overflow, "", "hold expired before arrival"));
  EXPECT_EQ(c->placement().institution_id(), "xiangya-3rd");
  EXPECT_EQ(c->hold_id(), "");
  EXPECT_CODE(RecordMilestone(c, gv1::ARRIVAL, kContact - 1).status(), kInvalidArgument);
  EXPECT_CODE(RecordMilestone(c, gv1::MILESTONE_UNSPECIFIED, kContact).status(), kInvalidArgument);
}

// The acknowledgement is the destination's: a lapsed hold placed again at the same hospital
// keeps it; a new destination has to acknowledge afresh.
TEST(EmergencyCaseTest, AnAcknowledgementStaysWithItsHospital) {
  std::optional<gv1::EmergencyCase> c;
  Apply(c, OpenCase(c, Dispatch(gv1::STROKE), "hold-1"));
  Apply(c, AcknowledgeCase(c, "loudi-1st", kContact + kMinute));
  ASSERT_EQ(c->acknowledged_by(), "loudi-1st");
  Apply(c, RedirectCase(c, c->placement(), "hold-2", "hold expired before arrival"));  // the same hospital
  EXPECT_EQ(c->acknowledged_by(), "loudi-1st");
  EXPECT_EQ(common::UnixMs(c->acknowledged_at()), kContact + kMinute);
  gv1::Placement elsewhere = c->placement();
  elsewhere.set_institution_id("lianyuan-county");
  Apply(c, RedirectCase(c, elsewhere, "hold-3", "CT down"));
  EXPECT_EQ(c->acknowledged_by(), "");
  EXPECT_FALSE(c->has_acknowledged_at());
}

TEST(EmergencyCaseTest, OversizedTextIsRefusedNamingTheFieldAndItsBound) {
  const std::string huge(1 << 20, 'x');
  std::optional<gv1::EmergencyCase> c;
  auto d = Dispatch(gv1::STROKE);
  d.set_dispatch_centre(huge);
  auto opened = OpenCase(c, d, "hold-1");
  EXPECT_CODE(opened.status(), kInvalidArgument);
  EXPECT_NE(opened.status().message().find("dispatch_centre"), std::string::npos) << opened.status();
  EXPECT_LT(opened.status().message().size(), 200u);
  Apply(c, OpenCase(c, Dispatch(gv1::STROKE), "hold-1"));
  auto closed = CloseCase(c, huge, kContact + kMinute);  // a 1 MiB outcome once stalled the bus
  EXPECT_CODE(closed.status(), kInvalidArgument);
  EXPECT_NE(closed.status().message().find("outcome is 1048576 bytes; at most 500"), std::string::npos)
      << closed.status();
  EXPECT_CODE(RedirectCase(c, c->placement(), "hold-2", huge).status(), kInvalidArgument);
  Apply(c, CloseCase(c, std::string(500, 'o'), kContact + kMinute));
}

}  // namespace
}  // namespace yilian::domain::greenchannel
