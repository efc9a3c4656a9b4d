// The registry's gRPC API on a real server (port 0) over a real journal: every RPC, the
// error codes, idempotent retries, pagination and a projection rebuild.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "google/protobuf/util/time_util.h"
#include "registry_node.h"
#include "yilian/host/problem_trailer.h"
#include "yilian/testing/registry_data.h"
#include "yilian/testing/status_matchers.h"
#include "yilian/testing/temp_dir.h"

namespace yilian::registry {

namespace rv1 = ::yilian::registry::v1;
namespace {

using google::protobuf::util::TimeUtil;
using grpc::StatusCode;

using yilian::testing::Inst;

class RegistryServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node_ = std::make_unique<RegistryNode>(dir_.Sub("db"));
    stub_ = node_->stub.get();
    journal_ = node_->journal.get();
    store_ = node_->store.get();
  }
  static std::unique_ptr<grpc::ClientContext> As(const std::string& token) { return RegistryNode::As(token); }
  // `field`: the field the refusal's Problem trailer must name.
  rv1::InstitutionReply Register(const rv1::Institution& i, StatusCode want = StatusCode::OK,
                                 const char* field = nullptr) {
    rv1::RegisterInstitutionRequest req;
    *req.mutable_institution() = i;
    req.set_request_id("reg-" + i.institution_id());
    rv1::InstitutionReply out;
    auto ctx = As("admin");
    EXPECT_EQ(stub_->RegisterInstitution(ctx.get(), req, &out).error_code(), want) << i.institution_id();
    if (field != nullptr) {
      EXPECT_EQ(host::ProblemOf(*ctx).value_or(common::v1::Problem()).field(), field);
    }
    return out;
  }
  // The Loudi alliance: lead, a township centre and a county hospital (not a member).
  void Seed() {
    Register(Inst("loudi-1st", rv1::TERTIARY_HOSPITAL, 3, {rv1::STROKE_CENTRE, rv1::CHEST_PAIN_CENTRE, rv1::IMAGING}));
    Register(Inst("qiaotouhe-thc", rv1::TOWNSHIP_HEALTH_CENTRE, 1, {rv1::FAMILY_DOCTOR}));
    Register(Inst("lianyuan-county", rv1::COUNTY_HOSPITAL, 2, {rv1::IMAGING}));
    rv1::FormConsortiumRequest f;
    f.mutable_consortium()->set_consortium_id("loudi-alliance");
    f.mutable_consortium()->set_name("Loudi First People's Hospital alliance");
    f.mutable_consortium()->set_lead_institution_id("loudi-1st");
    f.mutable_consortium()->add_member_ids("qiaotouhe-thc");
    f.set_request_id("form-loudi");
    rv1::ConsortiumReply c;
    ASSERT_TRUE(stub_->FormConsortium(As("admin").get(), f, &c).ok());
  }
  int64_t Head() const { return node_->Head(); }

  testing::TempDir dir_;
  std::unique_ptr<RegistryNode> node_;
  rv1::Registry::Stub* stub_ = nullptr;
  eventstore::Journal* journal_ = nullptr;
  eventstore::Store* store_ = nullptr;
};

TEST_F(RegistryServiceTest, InstitutionsRoundTripAndRetriesGetTheFirstAnswer) {
  auto first = Register(Inst("loudi-1st", rv1::TERTIARY_HOSPITAL, 3, {rv1::STROKE_CENTRE}));
  EXPECT_EQ(first.version(), 1);
  const int64_t head = Head();
  auto again = Register(Inst("loudi-1st", rv1::TERTIARY_HOSPITAL, 3, {rv1::STROKE_CENTRE}));  // same request_id
  EXPECT_EQ(again.SerializeAsString(), first.SerializeAsString());
  EXPECT_EQ(Head(), head) << "a retry writes nothing";
  Register(Inst("loudi-1st", rv1::TERTIARY_HOSPITAL, 3, {rv1::TRAUMA_CENTRE}), StatusCode::ALREADY_EXISTS);

  rv1::UpdateInstitutionRequest up;
  *up.mutable_institution() = Inst("loudi-1st", rv1::TERTIARY_HOSPITAL, 3, {rv1::STROKE_CENTRE, rv1::TRAUMA_CENTRE});
  up.set_expected_version(7);
  rv1::InstitutionReply out;
  EXPECT_EQ(stub_->UpdateInstitution(As("admin").get(), up, &out).error_code(), StatusCode::ABORTED);
  up.set_expected_version(1);
  ASSERT_TRUE(stub_->UpdateInstitution(As("admin").get(), up, &out).ok());
  EXPECT_EQ(out.version(), 2);
  EXPECT_EQ(out.institution().capabilities_size(), 2);

  rv1::SuspendInstitutionRequest sus;
  sus.set_institution_id("loudi-1st");
  sus.set_reason("inspection");
  ASSERT_TRUE(stub_->SuspendInstitution(As("admin").get(), sus, &out).ok());
  EXPECT_TRUE(out.institution().suspended());
  EXPECT_EQ(stub_->SuspendInstitution(As("admin").get(), sus, &out).error_code(), StatusCode::FAILED_PRECONDITION);
  rv1::ReactivateInstitutionRequest re;
  re.set_institution_id("loudi-1st");
  ASSERT_TRUE(stub_->ReactivateInstitution(As("admin").get(), re, &out).ok());
  EXPECT_FALSE(out.institution().suspended());
  EXPECT_EQ(out.version(), 4);

  rv1::GetInstitutionRequest get;
  get.set_institution_id("loudi-1st");
  ASSERT_TRUE(stub_->GetInstitution(As("admin").get(), get, &out).ok());
  EXPECT_EQ(out.version(), 4);
  get.set_institution_id("nowhere");
  EXPECT_EQ(stub_->GetInstitution(As("admin").get(), get, &out).error_code(), StatusCode::NOT_FOUND);
}

TEST_F(RegistryServiceTest, BadCommandsGetPreciseErrorsAndWriteNothing) {
  Seed();
  const int64_t head = Head();
  auto bad = Inst("h1", rv1::COUNTY_HOSPITAL, 2);
  bad.set_tier(5);
  Register(bad, StatusCode::INVALID_ARGUMENT, "tier");
  bad = Inst("h1", rv1::COUNTY_HOSPITAL, 2);
  bad.mutable_location()->set_latitude(123);
  Register(bad, StatusCode::INVALID_ARGUMENT, "location.latitude");
  bad = Inst("h1", rv1::COUNTY_HOSPITAL, 2);
  bad.add_capabilities(static_cast<rv1::Capability>(77));
  Register(bad, StatusCode::INVALID_ARGUMENT, "capabilities");

  rv1::RegisterInstitutionRequest req;
  *req.mutable_institution() = Inst("h2", rv1::COUNTY_HOSPITAL, 2);
  rv1::InstitutionReply out;
  EXPECT_EQ(stub_->RegisterInstitution(As("").get(), req, &out).error_code(), StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(stub_->RegisterInstitution(As("doc").get(), req, &out).error_code(), StatusCode::PERMISSION_DENIED);

  rv1::DefineWardRequest w;
  w.mutable_ward()->set_institution_id("loudi-1st");
  w.mutable_ward()->set_ward_id("icu");
  w.mutable_ward()->set_name("ICU");
  w.mutable_ward()->set_kind(rv1::WARD_ICU);
  w.mutable_ward()->set_capacity(10);
  w.mutable_ward()->set_emergency_reserved(11);
  rv1::WardReply ward;
  EXPECT_EQ(stub_->DefineWard(As("admin").get(), w, &ward).error_code(), StatusCode::INVALID_ARGUMENT);
  w.mutable_ward()->set_emergency_reserved(2);
  w.mutable_ward()->set_institution_id("nowhere");
  EXPECT_EQ(stub_->DefineWard(As("admin").get(), w, &ward).error_code(), StatusCode::NOT_FOUND);

  rv1::ConsortiumMemberRequest m;
  m.set_consortium_id("loudi-alliance");
  m.set_institution_id("loudi-1st");
  rv1::ConsortiumReply c;
  EXPECT_EQ(stub_->AddConsortiumMember(As("admin").get(), m, &c).error_code(), StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(stub_->RemoveConsortiumMember(As("admin").get(), m, &c).error_code(), StatusCode::FAILED_PRECONDITION);
  m.set_institution_id("lianyuan-county");
  m.set_expected_version(1);
  ASSERT_TRUE(stub_->AddConsortiumMember(As("admin").get(), m, &c).ok());
  EXPECT_EQ(c.consortium().member_ids_size(), 3);
  m.set_expected_version(2);
  ASSERT_TRUE(stub_->RemoveConsortiumMember(As("admin").get(), m, &c).ok());
  EXPECT_EQ(c.consortium().member_ids_size(), 2);
  EXPECT_EQ(c.version(), 3);
  m.set_consortium_id("Not An Id");
  EXPECT_EQ(stub_->AddConsortiumMember(As("admin").get(), m, &c).error_code(), StatusCode::INVALID_ARGUMENT);

  rv1::EnrolResidentRequest enrol;
  enrol.mutable_resident()->mutable_patient()->set_value("430102199003071234");  // an id-card number
  enrol.mutable_resident()->set_family_doctor_institution_id("qiaotouhe-thc");
  *enrol.mutable_resident()->mutable_signed_at() = TimeUtil::SecondsToTimestamp(1790000000);
  rv1::ResidentReply r;
  EXPECT_EQ(stub_->EnrolResident(As("admin").get(), enrol, &r).error_code(), StatusCode::INVALID_ARGUMENT);

  rv1::UpdateInstitutionRequest reuse;  // a request_id already used for another request
  *reuse.mutable_institution() = Inst("loudi-1st", rv1::TERTIARY_HOSPITAL, 3);
  reuse.set_request_id("reg-loudi-1st");
  EXPECT_EQ(stub_->UpdateInstitution(As("admin").get(), reuse, &out).error_code(), StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(Head(), head + 2) << "no failed command may write (two member changes were accepted)";

  rv1::GetInstitutionRequest get;
  get.set_institution_id("loudi-1st");
  EXPECT_TRUE(stub_->GetInstitution(As("doc").get(), get, &out).ok()) << "members read";
  EXPECT_EQ(stub_->GetInstitution(As("stranger").get(), get, &out).error_code(), StatusCode::PERMISSION_DENIED);
}

TEST_F(RegistryServiceTest, WardsSessionsAndResidents) {
  Seed();
  rv1::DefineWardRequest w;
  w.mutable_ward()->set_institution_id("loudi-1st");
  w.mutable_ward()->set_ward_id("stroke-1");
  w.mutable_ward()->set_name("Stroke unit");
  w.mutable_ward()->set_kind(rv1::WARD_STROKE_UNIT);
  w.mutable_ward()->set_capacity(30);
  w.mutable_ward()->set_emergency_reserved(4);
  rv1::WardReply ward;
  ASSERT_TRUE(stub_->DefineWard(As("admin").get(), w, &ward).ok());
  rv1::ChangeWardCapacityRequest cap;
  cap.set_institution_id("loudi-1st");
  cap.set_ward_id("stroke-1");
  cap.set_capacity(24);
  cap.set_emergency_reserved(4);
  ASSERT_TRUE(stub_->ChangeWardCapacity(As("admin").get(), cap, &ward).ok());
  EXPECT_EQ(ward.ward().capacity(), 24);
  EXPECT_EQ(ward.version(), 2);
  // The reduction is flagged in the journal for the bed board.
  std::string last_event;
  ASSERT_OK(journal_
                ->Read(Head(), 1,
                       [&](const eventstore::JournalEntry& e) {
                         last_event = std::string(e.envelope);
                         return true;
                       })
                .status());
  auto env = eventstore::ParseEnvelope(last_event);
  ASSERT_OK(env.status());
  rv1::WardCapacityChanged changed;
  ASSERT_TRUE(env->payload().UnpackTo(&changed));
  EXPECT_TRUE(changed.reduced());
  EXPECT_EQ(env->institution_ids(0), "loudi-1st");

  rv1::PublishExpertSessionRequest p;
  auto* s = p.mutable_session();
  s->set_session_id("neuro-2026-12-01-am");
  s->set_institution_id("loudi-1st");
  s->set_expert_id("dr-zhang");
  s->set_expert_name("Dr Zhang");
  s->set_department("neurology");
  *s->mutable_starts_at() = TimeUtil::SecondsToTimestamp(1796083200);  // 2026-12-01T08:00+08:00
  *s->mutable_ends_at() = TimeUtil::SecondsToTimestamp(1796083200 + 4 * 3600);
  s->set_slot_count(20);
  s->add_reserved()->set_institution_id("qiaotouhe-thc");
  s->mutable_reserved(0)->set_slots(2);
  *s->mutable_release_cutoff() = TimeUtil::SecondsToTimestamp(1796054400);
  rv1::ExpertSessionReply session;
  ASSERT_TRUE(stub_->PublishExpertSession(As("admin").get(), p, &session).ok());
  s->mutable_reserved(0)->set_institution_id("lianyuan-county");  // not primary care
  s->set_session_id("other");
  EXPECT_EQ(stub_->PublishExpertSession(As("admin").get(), p, &session).error_code(), StatusCode::INVALID_ARGUMENT);
  rv1::ListExpertSessionsRequest ls;
  ls.set_institution_id("loudi-1st");
  *ls.mutable_from() = TimeUtil::SecondsToTimestamp(1796054400);  // 2026-12-01T00:00+08:00
  *ls.mutable_to() = TimeUtil::SecondsToTimestamp(1796054400 + 86400);
  rv1::ListExpertSessionsResponse sessions;
  ASSERT_TRUE(stub_->ListExpertSessions(As("doc").get(), ls, &sessions).ok());
  ASSERT_EQ(sessions.sessions_size(), 1);
  *ls.mutable_from() = TimeUtil::SecondsToTimestamp(1796054400 + 86400);
  ls.clear_to();
  ASSERT_TRUE(stub_->ListExpertSessions(As("doc").get(), ls, &sessions).ok());
  EXPECT_EQ(sessions.sessions_size(), 0);
  rv1::CancelExpertSessionRequest cancel;
  cancel.set_session_id("neuro-2026-12-01-am");
  cancel.set_reason("expert unavailable");
  ASSERT_TRUE(stub_->CancelExpertSession(As("admin").get(), cancel, &session).ok());
  EXPECT_TRUE(session.session().cancelled());

  rv1::EnrolResidentRequest enrol;
  enrol.mutable_resident()->mutable_patient()->set_value("pt-7f3a9c21e4b8");
  enrol.mutable_resident()->set_family_doctor_institution_id("qiaotouhe-thc");
  *enrol.mutable_resident()->mutable_signed_at() = TimeUtil::SecondsToTimestamp(1790000000);
  rv1::ResidentReply r;
  ASSERT_TRUE(stub_->EnrolResident(As("admin").get(), enrol, &r).ok());
  rv1::MoveResidentRequest mv;
  *mv.mutable_patient() = enrol.resident().patient();
  mv.set_to_institution_id("loudi-1st");
  EXPECT_EQ(stub_->MoveResident(As("admin").get(), mv, &r).error_code(), StatusCode::INVALID_ARGUMENT);
  rv1::EndResidentRequest end;
  *end.mutable_patient() = enrol.resident().patient();
  end.set_reason("moved away");
  end.set_request_id("end-1");
  ASSERT_TRUE(stub_->EndResident(As("admin").get(), end, &r).ok());
  rv1::ResidentReply retried;  // the retry gets the first answer, not "already ended"
  ASSERT_TRUE(stub_->EndResident(As("admin").get(), end, &retried).ok());
  EXPECT_EQ(retried.SerializeAsString(), r.SerializeAsString());
  end.set_request_id("end-2");
  EXPECT_EQ(stub_->EndResident(As("admin").get(), end, &retried).error_code(), StatusCode::FAILED_PRECONDITION);
  rv1::GetResidentRequest gr;
  *gr.mutable_patient() = enrol.resident().patient();
  ASSERT_TRUE(stub_->GetResident(As("doc").get(), gr, &r).ok());
  EXPECT_TRUE(r.resident().ended());
  EXPECT_EQ(r.version(), 2);
}

TEST_F(RegistryServiceTest, ListsFilterAndPageAndARebuildChangesNothing) {
  Seed();
  for (int i = 0; i < 7; ++i)
    Register(Inst("village-" + std::to_string(i), rv1::VILLAGE_CLINIC, 1,
                  i % 2 ? std::vector{rv1::LAB} : std::vector<rv1::Capability>{}));
  std::vector<std::string> ids;
  rv1::ListInstitutionsRequest req;
  req.mutable_page()->set_page_size(4);
  do {
    rv1::ListInstitutionsResponse page;
    ASSERT_TRUE(stub_->ListInstitutions(As("doc").get(), req, &page).ok());
    EXPECT_LE(page.institutions_size(), 4);
    for (const auto& i : page.institutions()) ids.push_back(i.institution().institution_id());
    req.mutable_page()->set_page_token(page.page().next_page_token());
  } while (!req.page().page_token().empty());
  EXPECT_EQ(ids.size(), 10u);
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));

  rv1::ListInstitutionsRequest f;
  f.set_tier(1);
  f.set_capability(rv1::LAB);
  rv1::ListInstitutionsResponse out;
  ASSERT_TRUE(stub_->ListInstitutions(As("doc").get(), f, &out).ok());
  EXPECT_EQ(out.institutions_size(), 3);
  f.Clear();
  f.set_consortium_id("loudi-alliance");
  ASSERT_TRUE(stub_->ListInstitutions(As("doc").get(), f, &out).ok());
  EXPECT_EQ(out.institutions_size(), 2);
  f.set_consortium_id("nowhere");
  EXPECT_EQ(stub_->ListInstitutions(As("doc").get(), f, &out).error_code(), StatusCode::NOT_FOUND);
  f.Clear();
  f.mutable_page()->set_page_token("garbage");
  EXPECT_EQ(stub_->ListInstitutions(As("doc").get(), f, &out).error_code(), StatusCode::INVALID_ARGUMENT);
  rv1::ListConsortiaResponse consortia;
  ASSERT_TRUE(stub_->ListConsortia(As("doc").get(), {}, &consortia).ok());
  ASSERT_EQ(consortia.consortia_size(), 1);
  EXPECT_EQ(consortia.consortia(0).consortium().member_ids_size(), 2);

  ASSERT_OK_AND_ASSIGN(const std::string before, store_->Dump(eventstore::Family::kProjection));
  ASSERT_OK(journal_->RebuildProjections());
  ASSERT_OK_AND_ASSIGN(const std::string after, store_->Dump(eventstore::Family::kProjection));
  EXPECT_EQ(before, after);
}

}  // namespace
}  // namespace yilian::registry
