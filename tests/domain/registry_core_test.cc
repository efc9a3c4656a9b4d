// The registry's domain core: every rule, as Decide -> events -> Evolve.
#include <gtest/gtest.h>

#include <map>

#include "google/protobuf/util/time_util.h"
#include "yilian/domain/registry/registry.h"
#include "yilian/testing/registry_data.h"
#include "yilian/testing/status_matchers.h"

namespace yilian::domain::registry {

namespace rv1 = ::yilian::registry::v1;
namespace {

using google::protobuf::util::TimeUtil;

using yilian::testing::Inst;

// A directory over in-memory state, folded from events by the same core.
class FakeDirectory : public Directory {
 public:
  std::optional<rv1::Institution> FindInstitution(const std::string& id) const override {
    auto it = institutions.find(id);
    return it == institutions.end() ? std::nullopt : it->second;
  }
  std::vector<std::string> ConsortiaOf(const std::string& id) const override {
    std::vector<std::string> out;
    for (const auto& [cid, c] : consortia)
      for (const auto& m : c->member_ids())
        if (m == id) out.push_back(cid);
    return out;
  }
  void Register(const rv1::Institution& i) {
    auto& state = institutions[i.institution_id()];
    auto events = RegisterInstitution(state, i);
    ASSERT_OK(events.status());
    for (const auto& e : *events) ASSERT_OK(Evolve(state, e));
  }
  std::map<std::string, std::optional<rv1::Institution>> institutions;
  std::map<std::string, std::optional<rv1::Consortium>> consortia;
};

template <typename State>
void Apply(std::optional<State>& state, const absl::StatusOr<Events>& events) {
  ASSERT_OK(events.status());
  for (const auto& e : *events) ASSERT_OK(Evolve(state, e));
}

class RegistryCoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.Register(Inst("loudi-1st", rv1::TERTIARY_HOSPITAL, 3, {rv1::STROKE_CENTRE, rv1::CHEST_PAIN_CENTRE}));
    dir_.Register(Inst("qiaotouhe-thc", rv1::TOWNSHIP_HEALTH_CENTRE, 1, {rv1::FAMILY_DOCTOR}));
    dir_.Register(Inst("lianyuan-county", rv1::COUNTY_HOSPITAL, 2));
    dir_.Register(Inst("wuliqiao-chc", rv1::COMMUNITY_HEALTH_CENTRE, 1));  // in no consortium with loudi
    rv1::Consortium c;
    c.set_consortium_id("loudi-alliance");
    c.set_name("Loudi First People's Hospital alliance");
    c.set_lead_institution_id("loudi-1st");
    c.add_member_ids("qiaotouhe-thc");
    Apply(dir_.consortia["loudi-alliance"], FormConsortium(std::nullopt, c, dir_));
  }
  rv1::ExpertSession Session() {
    rv1::ExpertSession s;
    s.set_session_id("s-1");
    s.set_institution_id("loudi-1st");
    s.set_expert_id("dr-zhang");
    s.set_expert_name("Dr Zhang");
    s.set_department("neurology");
    *s.mutable_starts_at() = TimeUtil::SecondsToTimestamp(1796083200);  // 2026-12-01T08:00+08:00
    *s.mutable_ends_at() = TimeUtil::SecondsToTimestamp(1796083200 + 4 * 3600);
    s.set_slot_count(20);
    auto* q = s.add_reserved();
    q->set_institution_id("qiaotouhe-thc");
    q->set_slots(2);
    *s.mutable_release_cutoff() = TimeUtil::SecondsToTimestamp(1796054400);  // 2026-11-30T16:00Z
    return s;
  }
  FakeDirectory dir_;
};

TEST_F(RegistryCoreTest, InstitutionLifecycle) {
  std::optional<rv1::Institution> st;
  Apply(st, RegisterInstitution(st, Inst("h1", rv1::COUNTY_HOSPITAL, 2, {rv1::IMAGING})));
  EXPECT_CODE(RegisterInstitution(st, Inst("h1", rv1::COUNTY_HOSPITAL, 2)).status(), kAlreadyExists);
  auto same = UpdateInstitution(st, Inst("h1", rv1::COUNTY_HOSPITAL, 2, {rv1::IMAGING}));
  ASSERT_OK(same.status());
  EXPECT_TRUE(same->empty()) << "an update that changes nothing records nothing";
  Apply(st, UpdateInstitution(st, Inst("h1", rv1::REHABILITATION_HOSPITAL, 2, {rv1::REHABILITATION})));
  EXPECT_EQ(st->type(), rv1::REHABILITATION_HOSPITAL);
  EXPECT_CODE(ReactivateInstitution(st).status(), kFailedPrecondition);
  EXPECT_CODE(SuspendInstitution(st, "").status(), kInvalidArgument);
  Apply(st, SuspendInstitution(st, "licence under review"));
  EXPECT_TRUE(st->suspended());
  EXPECT_CODE(SuspendInstitution(st, "again").status(), kFailedPrecondition);
  Apply(st, UpdateInstitution(st, Inst("h1", rv1::REHABILITATION_HOSPITAL, 2)));
  EXPECT_TRUE(st->suspended()) << "an update keeps the suspension";
  Apply(st, ReactivateInstitution(st));
  EXPECT_FALSE(st->suspended());
  EXPECT_CODE(UpdateInstitution(std::nullopt, Inst("h2", rv1::COUNTY_HOSPITAL, 2)).status(), kNotFound);
}

TEST_F(RegistryCoreTest, InstitutionsAreValidatedFieldByField) {
  auto bad = [](auto mutate) {
    rv1::Institution i = Inst("h1", rv1::COUNTY_HOSPITAL, 2);
    mutate(i);
    return RegisterInstitution(std::nullopt, i).status();
  };
  EXPECT_CODE(bad([](auto& i) { i.set_institution_id("Bad Id"); }), kInvalidArgument);
  EXPECT_CODE(bad([](auto& i) { i.set_institution_id(""); }), kInvalidArgument);
  EXPECT_CODE(bad([](auto& i) { i.set_name("  "); }), kInvalidArgument);
  EXPECT_CODE(bad([](auto& i) { i.set_tier(4); }), kInvalidArgument);
  EXPECT_CODE(bad([](auto& i) { i.set_tier(0); }), kInvalidArgument);
  EXPECT_CODE(bad([](auto& i) { i.set_tier(3); }), kInvalidArgument);  // a county hospital is tier 2
  EXPECT_CODE(bad([](auto& i) { i.set_type(rv1::INSTITUTION_TYPE_UNSPECIFIED); }), kInvalidArgument);
  EXPECT_CODE(bad([](auto& i) { i.mutable_location()->set_latitude(91); }), kInvalidArgument);
  EXPECT_CODE(bad([](auto& i) { i.mutable_location()->set_longitude(-180.5); }), kInvalidArgument);
  EXPECT_CODE(bad([](auto& i) { i.clear_location(); }), kInvalidArgument);
  EXPECT_CODE(bad([](auto& i) { i.add_capabilities(static_cast<rv1::Capability>(999)); }), kInvalidArgument);
  EXPECT_CODE(bad([](auto& i) { i.add_capabilities(rv1::CAPABILITY_UNSPECIFIED); }), kInvalidArgument);
  EXPECT_CODE(bad([](auto& i) {
                i.add_capabilities(rv1::LAB);
                i.add_capabilities(rv1::LAB);
              }),
              kInvalidArgument);
  EXPECT_CODE(bad([](auto& i) { i.set_suspended(true); }), kInvalidArgument);
  auto msg = bad([](auto& i) { i.set_tier(7); });
  EXPECT_NE(std::string(msg.message()).find("tier 7"), std::string::npos) << msg;
}

TEST_F(RegistryCoreTest, ConsortiumMembership) {
  auto& c = dir_.consortia["loudi-alliance"];
  ASSERT_TRUE(c);
  EXPECT_EQ(c->member_ids_size(), 2);
  EXPECT_EQ(c->member_ids(0), "loudi-1st") << "the lead is the first member";
  rv1::Consortium again = *c;
  EXPECT_CODE(FormConsortium(c, again, dir_).status(), kAlreadyExists);
  rv1::Consortium unknown_lead;
  unknown_lead.set_consortium_id("x");
  unknown_lead.set_name("x");
  unknown_lead.set_lead_institution_id("nowhere");
  EXPECT_CODE(FormConsortium(std::nullopt, unknown_lead, dir_).status(), kNotFound);
  Apply(c, AddMember(c, "lianyuan-county", dir_));
  EXPECT_CODE(AddMember(c, "lianyuan-county", dir_).status(), kAlreadyExists);
  EXPECT_CODE(AddMember(c, "nowhere", dir_).status(), kNotFound);
  EXPECT_CODE(AddMember(std::nullopt, "lianyuan-county", dir_).status(), kNotFound);
  EXPECT_CODE(RemoveMember(c, "loudi-1st").status(), kFailedPrecondition);
  EXPECT_CODE(RemoveMember(c, "wuliqiao-chc").status(), kNotFound);
  Apply(c, RemoveMember(c, "lianyuan-county"));
  EXPECT_EQ(c->member_ids_size(), 2);
  // A suspended institution cannot join.
  Apply(dir_.institutions["wuliqiao-chc"], SuspendInstitution(dir_.institutions["wuliqiao-chc"], "audit"));
  EXPECT_CODE(AddMember(c, "wuliqiao-chc", dir_).status(), kFailedPrecondition);
}

TEST_F(RegistryCoreTest, WardsAndCapacity) {
  rv1::Ward w;
  w.set_institution_id("loudi-1st");
  w.set_ward_id("stroke-1");
  w.set_name("Stroke unit 1");
  w.set_kind(rv1::WARD_STROKE_UNIT);
  w.set_capacity(30);
  w.set_emergency_reserved(4);
  std::optional<rv1::Ward> st;
  Apply(st, DefineWard(st, w, dir_));
  EXPECT_CODE(DefineWard(st, w, dir_).status(), kAlreadyExists);
  auto bad = w;
  bad.set_emergency_reserved(31);
  EXPECT_CODE(DefineWard(std::nullopt, bad, dir_).status(), kInvalidArgument);
  bad = w;
  bad.set_capacity(-1);
  EXPECT_CODE(DefineWard(std::nullopt, bad, dir_).status(), kInvalidArgument);
  bad = w;
  bad.set_kind(rv1::WARD_KIND_UNSPECIFIED);
  EXPECT_CODE(DefineWard(std::nullopt, bad, dir_).status(), kInvalidArgument);
  bad = w;
  bad.set_institution_id("nowhere");
  EXPECT_CODE(DefineWard(std::nullopt, bad, dir_).status(), kNotFound);

  auto reduce = ChangeWardCapacity(st, 20, 2);
  ASSERT_OK(reduce.status());
  ASSERT_EQ(reduce->size(), 1u);
  EXPECT_TRUE((*reduce)[0].ward_capacity_changed().reduced()) << "a reduction is flagged for the bed board";
  EXPECT_EQ((*reduce)[0].ward_capacity_changed().previous_capacity(), 30);
  Apply(st, reduce);
  EXPECT_EQ(st->capacity(), 20);
  EXPECT_TRUE(ChangeWardCapacity(st, 20, 2)->empty());
  EXPECT_CODE(ChangeWardCapacity(st, 10, 11).status(), kInvalidArgument);
  EXPECT_CODE(ChangeWardCapacity(std::nullopt, 10, 1).status(), kNotFound);
  EXPECT_EQ(WardAggregateId("loudi-1st", "stroke-1"), "loudi-1st/stroke-1");
}

TEST_F(RegistryCoreTest, ExpertSessionsWithReservedQuotas) {
  std::optional<rv1::ExpertSession> st;
  Apply(st, PublishExpertSession(st, Session(), dir_));
  EXPECT_CODE(PublishExpertSession(st, Session(), dir_).status(), kAlreadyExists);
  auto bad = [&](auto mutate) {
    auto s = Session();
    mutate(s);
    return PublishExpertSession(std::nullopt, s, dir_).status();
  };
  EXPECT_CODE(bad([](auto& s) { s.mutable_reserved(0)->set_slots(21); }), kInvalidArgument);  // above slot count
  EXPECT_CODE(bad([](auto& s) { s.mutable_reserved(0)->set_slots(0); }), kInvalidArgument);
  EXPECT_CODE(bad([](auto& s) { s.add_reserved()->CopyFrom(s.reserved(0)); }), kInvalidArgument);
  EXPECT_CODE(bad([](auto& s) { s.mutable_reserved(0)->set_institution_id("lianyuan-county"); }),
              kInvalidArgument);  // not primary care
  EXPECT_CODE(bad([](auto& s) { s.mutable_reserved(0)->set_institution_id("wuliqiao-chc"); }),
              kFailedPrecondition);  // no shared consortium
  EXPECT_CODE(bad([](auto& s) { s.mutable_reserved(0)->set_institution_id("nowhere"); }), kNotFound);
  EXPECT_CODE(bad([](auto& s) { s.clear_starts_at(); }), kInvalidArgument);
  EXPECT_CODE(bad([](auto& s) { s.clear_ends_at(); }), kInvalidArgument);
  EXPECT_CODE(bad([](auto& s) { s.mutable_starts_at()->set_nanos(-1); }), kInvalidArgument);
  EXPECT_CODE(bad([](auto& s) { s.mutable_starts_at()->set_seconds(-3600); }), kInvalidArgument);  // before 1970
  EXPECT_CODE(bad([](auto& s) { *s.mutable_ends_at() = s.starts_at(); }), kInvalidArgument);
  EXPECT_CODE(bad([](auto& s) { s.mutable_ends_at()->set_seconds(s.starts_at().seconds() + 13 * 3600); }),
              kInvalidArgument);  // longer than 12 hours
  EXPECT_CODE(bad([](auto& s) { s.set_slot_count(0); }), kInvalidArgument);
  EXPECT_CODE(bad([](auto& s) { s.clear_release_cutoff(); }), kInvalidArgument);
  EXPECT_CODE(bad([](auto& s) { *s.mutable_release_cutoff() = TimeUtil::SecondsToTimestamp(1796140800); }),
              kInvalidArgument);  // 2026-12-01T16:00Z = 2 Dec 00:00 in China, after the session's day
  EXPECT_CODE(CancelExpertSession(st, "").status(), kInvalidArgument);
  Apply(st, CancelExpertSession(st, "expert at a conference"));
  EXPECT_TRUE(st->cancelled());
  EXPECT_CODE(CancelExpertSession(st, "again").status(), kFailedPrecondition);
}

TEST_F(RegistryCoreTest, ResidentsSignWithPrimaryCareUnderPseudonyms) {
  rv1::Resident r;
  r.mutable_patient()->set_value("pt-7f3a9c21e4b8");
  r.set_family_doctor_institution_id("qiaotouhe-thc");
  r.set_team("team-a");
  *r.mutable_signed_at() = TimeUtil::SecondsToTimestamp(1790000000);
  std::optional<rv1::Resident> st;
  Apply(st, EnrolResident(st, r, dir_));
  EXPECT_CODE(EnrolResident(st, r, dir_).status(), kAlreadyExists);
  for (const char* identifying : {"430102199003071234", "43010219900307123X", "13812345678", "12345678"}) {
    auto bad = r;
    bad.mutable_patient()->set_value(identifying);
    EXPECT_CODE(EnrolResident(std::nullopt, bad, dir_).status(), kInvalidArgument) << identifying;
  }
  auto hospital = r;
  hospital.set_family_doctor_institution_id("loudi-1st");
  EXPECT_CODE(EnrolResident(std::nullopt, hospital, dir_).status(), kInvalidArgument);
  EXPECT_CODE(MoveResident(st, "lianyuan-county", "", dir_).status(), kInvalidArgument);
  dir_.Register(Inst("qixingjie-thc", rv1::TOWNSHIP_HEALTH_CENTRE, 1));
  Apply(st, MoveResident(st, "qixingjie-thc", "team-b", dir_));
  EXPECT_EQ(st->family_doctor_institution_id(), "qixingjie-thc");
  EXPECT_TRUE(MoveResident(st, "qixingjie-thc", "team-b", dir_)->empty());
  Apply(st, EndResident(st, "moved away"));
  EXPECT_CODE(EndResident(st, "again").status(), kFailedPrecondition);
  EXPECT_CODE(MoveResident(st, "qiaotouhe-thc", "", dir_).status(), kFailedPrecondition);
  Apply(st, EnrolResident(st, r, dir_));  // signing again after it ended
  EXPECT_FALSE(st->ended());
}

TEST_F(RegistryCoreTest, EvolveRefusesEventsThatDoNotFit) {
  std::optional<rv1::Ward> ward;
  rv1::RegistryEvent e;
  e.mutable_institution_suspended()->set_reason("x");
  EXPECT_CODE(Evolve(ward, e), kInvalidArgument);
  std::optional<rv1::Institution> inst;
  EXPECT_CODE(Evolve(inst, e), kFailedPrecondition);
  rv1::RegistryEvent changed;
  changed.mutable_ward_capacity_changed()->set_capacity(3);
  EXPECT_CODE(Evolve(ward, changed), kFailedPrecondition);
}

TEST_F(RegistryCoreTest, PayloadsRoundTrip) {
  rv1::RegistryEvent e;
  e.mutable_consortium_member_added()->set_institution_id("h9");
  const auto& payload = Payload(e);
  EXPECT_EQ(payload.GetDescriptor()->full_name(), "yilian.registry.v1.ConsortiumMemberAdded");
  ASSERT_OK_AND_ASSIGN(auto back, FromPayload(payload));
  EXPECT_EQ(back.consortium_member_added().institution_id(), "h9");
  EXPECT_CODE(FromPayload(rv1::Institution()).status(), kInvalidArgument);
}

}  // namespace
}  // namespace yilian::domain::registry
