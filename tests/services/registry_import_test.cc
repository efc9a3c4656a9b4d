// Importing the sample consortia: once, idempotently, and with identical answers after a
// restart and after rebuilding the projections from the journal.
#include <gtest/gtest.h>

#include "import.h"
#include "registry_node.h"
#include "yilian/testing/status_matchers.h"
#include "yilian/testing/temp_dir.h"

namespace yilian::registry {

namespace rv1 = ::yilian::registry::v1;
namespace {

// Lists every page of a listing, appending each reply.
template <typename Req, typename Resp, typename Fn>
void AllPages(Req req, grpc::Status (rv1::Registry::Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
              rv1::Registry::Stub& stub, Fn each) {
  req.mutable_page()->set_page_size(7);
  do {
    Resp page;
    grpc::Status s = (stub.*method)(RegistryNode::As("doc").get(), req, &page);
    ASSERT_TRUE(s.ok()) << s.error_message();
    each(page);
    req.mutable_page()->set_page_token(page.page().next_page_token());
  } while (!req.page().page_token().empty());
}

// Everything the registry answers about its data, as one string.
std::string Answers(rv1::Registry::Stub& stub) {
  std::string out;
  std::vector<std::string> institutions, consortia;
  AllPages(rv1::ListInstitutionsRequest(), &rv1::Registry::Stub::ListInstitutions, stub,
           [&](const rv1::ListInstitutionsResponse& p) {
             out += p.SerializeAsString();
             for (const auto& i : p.institutions()) institutions.push_back(i.institution().institution_id());
           });
  for (int tier = 1; tier <= 3; ++tier)
    for (auto cap : {rv1::CAPABILITY_UNSPECIFIED, rv1::STROKE_CENTRE, rv1::REHABILITATION, rv1::FAMILY_DOCTOR}) {
      rv1::ListInstitutionsRequest f;
      f.set_tier(tier);
      f.set_capability(cap);
      AllPages(f, &rv1::Registry::Stub::ListInstitutions, stub,
               [&](const rv1::ListInstitutionsResponse& p) { out += p.SerializeAsString(); });
    }
  AllPages(rv1::ListConsortiaRequest(), &rv1::Registry::Stub::ListConsortia, stub,
           [&](const rv1::ListConsortiaResponse& p) {
             out += p.SerializeAsString();
             for (const auto& c : p.consortia()) consortia.push_back(c.consortium().consortium_id());
           });
  for (const auto& c : consortia) {
    rv1::GetConsortiumRequest get;
    get.set_consortium_id(c);
    rv1::ConsortiumReply reply;
    EXPECT_TRUE(stub.GetConsortium(RegistryNode::As("doc").get(), get, &reply).ok());
    out += reply.SerializeAsString();
    rv1::ListInstitutionsRequest members;
    members.set_consortium_id(c);
    AllPages(members, &rv1::Registry::Stub::ListInstitutions, stub,
             [&](const rv1::ListInstitutionsResponse& p) { out += p.SerializeAsString(); });
  }
  for (const auto& i : institutions) {
    rv1::GetInstitutionRequest get;
    get.set_institution_id(i);
    rv1::InstitutionReply reply;
    EXPECT_TRUE(stub.GetInstitution(RegistryNode::As("doc").get(), get, &reply).ok());
    out += reply.SerializeAsString();
    rv1::ListWardsRequest wards;
    wards.set_institution_id(i);
    AllPages(wards, &rv1::Registry::Stub::ListWards, stub,
             [&](const rv1::ListWardsResponse& p) { out += p.SerializeAsString(); });
    rv1::ListExpertSessionsRequest sessions;
    sessions.set_institution_id(i);
    AllPages(sessions, &rv1::Registry::Stub::ListExpertSessions, stub,
             [&](const rv1::ListExpertSessionsResponse& p) { out += p.SerializeAsString(); });
  }
  return out;
}

TEST(RegistryImportTest, SampleConsortiaImportOnceAndAnswerIdenticallyAfterRestartAndRebuild) {
  testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(ImportPlan plan, ParseImportFile(YILIAN_SAMPLE_FILE));
  ASSERT_EQ(plan.consortia.size(), 5u);
  const int items =
      static_cast<int>(plan.institutions.size() + plan.wards.size() + plan.consortia.size() + plan.sessions.size());
  std::string before;
  int64_t head = 0;
  {
    RegistryNode node(dir.Sub("db"));
    ASSERT_OK_AND_ASSIGN(ImportReport first, Import(*node.stub, "admin", plan));
    EXPECT_EQ(first.created, items) << first.Summary();
    head = node.Head();
    EXPECT_EQ(head, items);
    ASSERT_OK_AND_ASSIGN(ImportReport second, Import(*node.stub, "admin", plan));
    EXPECT_EQ(second.created + second.updated, 0) << second.Summary();
    EXPECT_EQ(node.Head(), head) << "importing twice changes nothing";
    before = Answers(*node.stub);
    EXPECT_GT(before.size(), 1000u);
  }
  {
    RegistryNode restarted(dir.Sub("db"));
    EXPECT_EQ(Answers(*restarted.stub), before);
  }
  RegistryNode rebuilt(dir.Sub("db"), /*rebuild=*/true);
  ASSERT_OK(rebuilt.rebuilt);
  EXPECT_EQ(rebuilt.Head(), head);
  EXPECT_EQ(Answers(*rebuilt.stub), before);

  // A file that changed in one place changes the registry in that place only.
  for (auto& w : plan.wards)
    if (w.institution_id() == "ruijin" && w.ward_id() == "icu-1") w.set_capacity(18);
  ASSERT_OK_AND_ASSIGN(ImportReport third, Import(*rebuilt.stub, "admin", plan));
  EXPECT_EQ(third.updated, 1) << third.Summary();
  EXPECT_EQ(rebuilt.Head(), head + 1);
}

TEST(RegistryImportTest, BadFilesNameTheFaultyItem) {
  auto bad_tier = ParseImportText(R"({"institutions": [{"id": "h1", "name": "H", "tier": "three",
                                      "type": "COUNTY_HOSPITAL", "location": {"lat": 1, "lon": 2}}]})");
  EXPECT_CODE(bad_tier.status(), kInvalidArgument);
  EXPECT_NE(std::string(bad_tier.status().message()).find("institutions[0].tier"), std::string::npos)
      << bad_tier.status();
  auto bad_cap = ParseImportText(
      "institutions:\n  - {id: h1, name: H, tier: 2, type: COUNTY_HOSPITAL, location: {lat: 1, lon: 2},"
      " capabilities: [IMAGING, TELEPATHY]}\n");
  EXPECT_CODE(bad_cap.status(), kInvalidArgument);
  EXPECT_NE(std::string(bad_cap.status().message()).find("TELEPATHY"), std::string::npos);
  EXPECT_CODE(ParseImportText("consortia: [{id: c1, name: C}]").status(), kInvalidArgument);  // no lead
  EXPECT_CODE(ParseImportText("{ not yaml").status(), kInvalidArgument);
  EXPECT_CODE(ParseImportFile("/nonexistent/file.yaml").status(), kNotFound);

  // A plan the registry refuses stops at the item and names it.
  testing::TempDir dir;
  RegistryNode node(dir.Sub("db"));
  ASSERT_OK_AND_ASSIGN(auto plan, ParseImportText("consortia: [{id: c1, name: C, lead: nowhere}]"));
  auto refused = Import(*node.stub, "admin", plan);
  EXPECT_CODE(refused.status(), kNotFound);
  EXPECT_CODE(Import(*node.stub, "doc", plan).status(), kPermissionDenied);  // not an admin (nor yet a member)
  EXPECT_EQ(node.Head(), 0);
}

}  // namespace
}  // namespace yilian::registry
