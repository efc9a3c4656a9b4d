// The role rules of the three domain cores (access.h), as pure functions: each refusal is
// PERMISSION_DENIED, each grant follows docs/ROLES.md. (The platform test walks every RPC x
// role against the running services; this pins the rules themselves.)
#include <gtest/gtest.h>

#include "yilian/domain/greenchannel/access.h"
#include "yilian/domain/referral/access.h"
#include "yilian/domain/registry/access.h"
#include "yilian/testing/status_matchers.h"

namespace yilian {
namespace {

using common::Principal;
using common::Role;

const Principal kAdmin{"admin", "", Role::ROLE_CONSORTIUM_ADMIN};
const Principal kDispatch{"120", "", Role::ROLE_DISPATCH};
const Principal kAuditor{"aud", "", Role::ROLE_AUDITOR};
const Principal kService{"svc", "", Role::ROLE_SERVICE};
const Principal kLoudiDoc{"dr.zhang", "loudi-1st", Role::ROLE_CLINICIAN};
const Principal kLoudiOffice{"office", "loudi-1st", Role::ROLE_REFERRAL_OFFICE};
const Principal kOtherDoc{"dr.chen", "xiangya-3rd", Role::ROLE_CLINICIAN};
const Principal kNoInstitution{"dr.x", "", Role::ROLE_CLINICIAN};

struct Dir : domain::referral::Directory {
  std::optional<registry::v1::Institution> FindInstitution(const std::string&) const override { return std::nullopt; }
  std::vector<std::string> ConsortiaOf(const std::string& i) const override {
    return i == "qiaotouhe-thc" || i == "loudi-1st" ? std::vector<std::string>{"loudi-alliance"}
                                                    : std::vector<std::string>{};
  }
  std::optional<registry::v1::Consortium> FindConsortium(const std::string& id) const override {
    registry::v1::Consortium c;
    c.set_consortium_id(id);
    c.set_lead_institution_id("xiangya-3rd");
    return c;
  }
};

TEST(RegistryAccess, AdminsChangeMembersReadIdentityForTheFamilyDoctor) {
  namespace dr = domain::registry;
  EXPECT_OK(dr::MayChangeRegistry(kAdmin));
  for (const auto& p : {kDispatch, kAuditor, kService, kLoudiDoc}) EXPECT_CODE(dr::MayChangeRegistry(p), kPermissionDenied);
  Dir dir;
  for (const auto& p : {kAdmin, kAuditor, kService, kLoudiDoc}) EXPECT_OK(dr::MayReadRegistry(p, dir));
  EXPECT_CODE(dr::MayReadRegistry(kOtherDoc, dir), kPermissionDenied);  // not a member here
  EXPECT_CODE(dr::MayReadRegistry(kDispatch, dir), kPermissionDenied);
  registry::v1::Resident r;
  r.set_family_doctor_institution_id("loudi-1st");
  EXPECT_TRUE(dr::MaySeeResidentIdentity(kAdmin, r));
  EXPECT_TRUE(dr::MaySeeResidentIdentity(kLoudiOffice, r));
  EXPECT_FALSE(dr::MaySeeResidentIdentity(kOtherDoc, r));
  EXPECT_FALSE(dr::MaySeeResidentIdentity(kAuditor, r));
}

TEST(ReferralAccess, CliniciansAndOfficesOfTheSidesAndTheirLeadOnly) {
  namespace dr = domain::referral;
  EXPECT_OK(dr::MayWorkReferrals(kLoudiDoc));
  EXPECT_OK(dr::MayWorkReferrals(kLoudiOffice));
  for (const auto& p : {kAdmin, kDispatch, kAuditor, kService, kNoInstitution})
    EXPECT_CODE(dr::MayWorkReferrals(p), kPermissionDenied);
  referral::v1::Referral r;
  r.set_sender_institution_id("qiaotouhe-thc");
  r.set_receiver_institution_id("loudi-1st");
  Dir dir;
  auto side = dr::SideOf(kLoudiDoc, r, dir);
  ASSERT_OK(side.status());
  EXPECT_EQ(*side, dr::Side::kReceiver);
  auto lead = dr::SideOf(kOtherDoc, r, dir);  // xiangya-3rd leads the consortium
  ASSERT_OK(lead.status());
  EXPECT_EQ(*lead, dr::Side::kLead);
  EXPECT_CODE(dr::SideOf(Principal{"dr.y", "ruijin", Role::ROLE_CLINICIAN}, r, dir).status(), kPermissionDenied);
  EXPECT_CODE(dr::SideOf(kAuditor, r, dir).status(), kPermissionDenied);
}

TEST(GreenChannelAccess, DispatchOpensHospitalsReachTheirOwnCasesAuditorsRead) {
  namespace dg = domain::greenchannel;
  EXPECT_OK(dg::MayOpenCase(kDispatch));
  EXPECT_CODE(dg::MayOpenCase(kLoudiDoc), kPermissionDenied);
  greenchannel::v1::EmergencyCase c;
  c.mutable_placement()->set_institution_id("loudi-1st");
  EXPECT_OK(dg::MayReachCase(kDispatch, c, false));
  EXPECT_OK(dg::MayReachCase(kLoudiDoc, c, false));
  EXPECT_CODE(dg::MayReachCase(kOtherDoc, c, true), kPermissionDenied);
  EXPECT_OK(dg::MayReachCase(kAuditor, c, true));
  EXPECT_CODE(dg::MayReachCase(kAuditor, c, false), kPermissionDenied);
  EXPECT_CODE(dg::MayReachCases(kAdmin, true), kPermissionDenied);
  EXPECT_OK(dg::MayListOpenCases(kAuditor));
  EXPECT_CODE(dg::MayListOpenCases(kLoudiDoc), kPermissionDenied);
  EXPECT_OK(dg::MayDischarge(kService, "loudi-1st"));
  EXPECT_OK(dg::MayDischarge(kLoudiOffice, "loudi-1st"));
  EXPECT_CODE(dg::MayDischarge(kOtherDoc, "loudi-1st"), kPermissionDenied);
  EXPECT_OK(dg::MayReadBedRequest(kAuditor, "loudi-1st"));
  EXPECT_CODE(dg::MayReadBedRequest(kOtherDoc, "loudi-1st"), kPermissionDenied);
  EXPECT_CODE(dg::MayReadBedRequests(kDispatch), kPermissionDenied);
  auto scope = dg::ClocksScope(kLoudiDoc, "");
  ASSERT_OK(scope.status());
  EXPECT_EQ(*scope, "loudi-1st");
  EXPECT_CODE(dg::ClocksScope(kLoudiDoc, "xiangya-3rd").status(), kPermissionDenied);
  EXPECT_CODE(dg::ClocksScope(kService, "").status(), kPermissionDenied);
  EXPECT_TRUE(dg::MaySeeIdentity(kDispatch, c));
  EXPECT_TRUE(dg::MaySeeIdentity(kLoudiDoc, c));
  EXPECT_FALSE(dg::MaySeeIdentity(kAuditor, c));
  EXPECT_FALSE(dg::MaySeeIdentity(kOtherDoc, c));
}

}  // namespace
}  // namespace yilian
