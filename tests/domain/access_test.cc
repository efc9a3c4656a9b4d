// The role rules of the three domain cores (access.h), as pure functions: each refusal is
// PERMISSION_DENIED, each grant follows docs/ROLES.md. (The platform test walks every RPC x
// role against the running services; this pins the rules themselves.)
#include "yilian/domain/greenchannel/access.h"

#include <gtest/gtest.h>

#include <map>

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
const Principal kLoudiHis{"his", "loudi-1st", Role::ROLE_HOSPITAL_SYSTEM};
const Principal kOtherHis{"his", "xiangya-3rd", Role::ROLE_HOSPITAL_SYSTEM};
const Principal kLoudiDoc{"dr.zhang", "loudi-1st", Role::ROLE_CLINICIAN};
const Principal kLoudiOffice{"office", "loudi-1st", Role::ROLE_REFERRAL_OFFICE};
const Principal kOtherDoc{"dr.chen", "xiangya-3rd", Role::ROLE_CLINICIAN};
const Principal kNoInstitution{"dr.x", "", Role::ROLE_CLINICIAN};

struct Dir : domain::referral::Directory {
  std::optional<registry::v1::Institution> FindInstitution(const std::string& id) const override {
    auto it = institutions.find(id);
    return it == institutions.end() ? std::nullopt : std::optional(it->second);
  }
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
  std::map<std::string, registry::v1::Institution> institutions;  // none unless a test adds one
};

TEST(RegistryAccess, AdminsChangeMembersReadIdentityForTheFamilyDoctor) {
  namespace dreg = ::yilian::domain::registry;
  EXPECT_OK(dreg::MayChangeRegistry(kAdmin));
  for (const auto& p : {kDispatch, kAuditor, kService, kLoudiDoc})
    EXPECT_CODE(dreg::MayChangeRegistry(p), kPermissionDenied);
  Dir dir;
  for (const auto& p : {kAdmin, kAuditor, kService, kLoudiDoc}) EXPECT_OK(dreg::MayReadRegistry(p, dir));
  EXPECT_CODE(dreg::MayReadRegistry(kOtherDoc, dir), kPermissionDenied);  // not a member here
  EXPECT_CODE(dreg::MayReadRegistry(kDispatch, dir), kPermissionDenied);
  registry::v1::Resident r;
  r.set_family_doctor_institution_id("loudi-1st");
  EXPECT_TRUE(dreg::MaySeeResidentIdentity(kAdmin, r));
  EXPECT_TRUE(dreg::MaySeeResidentIdentity(kLoudiOffice, r));
  EXPECT_FALSE(dreg::MaySeeResidentIdentity(kOtherDoc, r));
  EXPECT_FALSE(dreg::MaySeeResidentIdentity(kAuditor, r));
}

TEST(ReferralAccess, CliniciansAndOfficesOfTheSidesAndTheirLeadOnly) {
  namespace dref = ::yilian::domain::referral;
  EXPECT_OK(dref::MayWorkReferrals(kLoudiDoc));
  EXPECT_OK(dref::MayWorkReferrals(kLoudiOffice));
  for (const auto& p : {kAdmin, kDispatch, kAuditor, kService, kNoInstitution})
    EXPECT_CODE(dref::MayWorkReferrals(p), kPermissionDenied);
  referral::v1::Referral r;
  r.set_sender_institution_id("qiaotouhe-thc");
  r.set_receiver_institution_id("loudi-1st");
  Dir dir;
  auto side = dref::SideOf(kLoudiDoc, r, dir);
  ASSERT_OK(side.status());
  EXPECT_EQ(*side, dref::Side::kReceiver);
  auto lead = dref::SideOf(kOtherDoc, r, dir);  // xiangya-3rd leads the consortium
  ASSERT_OK(lead.status());
  EXPECT_EQ(*lead, dref::Side::kLead);
  EXPECT_CODE(dref::SideOf(Principal{"dr.y", "ruijin", Role::ROLE_CLINICIAN}, r, dir).status(), kPermissionDenied);
  EXPECT_CODE(dref::SideOf(kAuditor, r, dir).status(), kPermissionDenied);
  // A suspended institution's staff reach nothing, though they are a side.
  dir.institutions["loudi-1st"].set_suspended(true);
  EXPECT_CODE(dref::SideOf(kLoudiDoc, r, dir).status(), kPermissionDenied);
  EXPECT_CODE(dref::NotSuspended(kLoudiOffice, dir), kPermissionDenied);
  EXPECT_OK(dref::NotSuspended(kOtherDoc, dir));
}

TEST(GreenChannelAccess, DispatchOpensHospitalsReachTheirOwnCasesAuditorsRead) {
  namespace dgc = ::yilian::domain::greenchannel;
  EXPECT_OK(dgc::MayOpenCase(kDispatch));
  EXPECT_OK(dgc::MayOpenCase(kLoudiDoc));  // an inter-hospital transfer
  EXPECT_CODE(dgc::MayOpenCase(kAuditor), kPermissionDenied);
  EXPECT_EQ(dgc::TransferOrigin(kLoudiDoc), "loudi-1st");
  EXPECT_EQ(dgc::TransferOrigin(kDispatch), "");
  greenchannel::v1::EmergencyCase c;
  c.mutable_placement()->set_institution_id("loudi-1st");
  EXPECT_OK(dgc::MayReachCase(kDispatch, c, false));
  EXPECT_OK(dgc::MayReachCase(kLoudiDoc, c, false));
  EXPECT_CODE(dgc::MayReachCase(kOtherDoc, c, true), kPermissionDenied);
  EXPECT_OK(dgc::MayReachCase(kAuditor, c, true));
  EXPECT_CODE(dgc::MayReachCase(kAuditor, c, false), kPermissionDenied);
  EXPECT_CODE(dgc::MayReachCases(kAdmin, true), kPermissionDenied);
  EXPECT_OK(dgc::MayListOpenCases(kAuditor, "120-loudi"));
  EXPECT_CODE(dgc::MayListOpenCases(kLoudiDoc, "120-loudi"), kPermissionDenied);
  EXPECT_OK(dgc::MayListOpenCases(kLoudiDoc, "loudi-1st"));  // the transfers it opened
  // A hospital's system discharges from its own wards only; a platform service from none.
  EXPECT_OK(dgc::MayDischarge(kLoudiHis, "loudi-1st"));
  EXPECT_CODE(dgc::MayDischarge(kOtherHis, "loudi-1st"), kPermissionDenied);
  EXPECT_CODE(dgc::MayDischarge(kService, "loudi-1st"), kPermissionDenied);
  EXPECT_OK(dgc::MayReadBedRequest(kLoudiHis, "loudi-1st"));
  EXPECT_CODE(dgc::MayReadBedRequest(kOtherHis, "loudi-1st"), kPermissionDenied);
  EXPECT_CODE(dgc::MayReachCases(kLoudiHis, true), kPermissionDenied);
  EXPECT_CODE(dgc::ClocksScope(kOtherHis, "loudi-1st").status(), kPermissionDenied);
  EXPECT_OK(dgc::MayDischarge(kLoudiOffice, "loudi-1st"));
  EXPECT_CODE(dgc::MayDischarge(kOtherDoc, "loudi-1st"), kPermissionDenied);
  EXPECT_OK(dgc::MayReadBedRequest(kAuditor, "loudi-1st"));
  EXPECT_CODE(dgc::MayReadBedRequest(kOtherDoc, "loudi-1st"), kPermissionDenied);
  EXPECT_CODE(dgc::MayReadBedRequests(kDispatch), kPermissionDenied);
  auto scope = dgc::ClocksScope(kLoudiDoc, "");
  ASSERT_OK(scope.status());
  EXPECT_EQ(*scope, "loudi-1st");
  EXPECT_CODE(dgc::ClocksScope(kLoudiDoc, "xiangya-3rd").status(), kPermissionDenied);
  EXPECT_CODE(dgc::ClocksScope(kService, "").status(), kPermissionDenied);
  EXPECT_TRUE(dgc::MaySeeIdentity(kDispatch, c));
  EXPECT_TRUE(dgc::MaySeeIdentity(kLoudiDoc, c));
  EXPECT_FALSE(dgc::MaySeeIdentity(kAuditor, c));
  EXPECT_FALSE(dgc::MaySeeIdentity(kOtherDoc, c));
}

}  // namespace
}  // namespace yilian
