// Patient identity through the registry, the referral service and the green channel, in
// process (real stores, journals and gRPC on port 0): sealed before anything is stored,
// shown only to the callers in the patient's care, withheld from the rest, and erased by
// ErasePatient in every service once the registry's event reaches it. Nothing identifying is
// found in clear in any file any of them wrote.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "greenchannel_node.h"
#include "referral_node.h"
#include "yilian/common/timestamp.h"
#include "yilian/testing/temp_dir.h"

namespace yilian {
namespace {

namespace cv1 = ::yilian::common::v1;
namespace fv1 = ::yilian::referral::v1;
namespace gv1 = ::yilian::greenchannel::v1;
namespace rv1 = ::yilian::registry::v1;
using registry::RegistryNode;

constexpr char kNationalId[] = "43018119900101777X";
constexpr char kName[] = "秘密患者 Mimi Secret";

cv1::PatientIdentity Person() {
  cv1::PatientIdentity id;
  id.set_name(kName);
  id.set_national_id(kNationalId);
  id.set_phone("13800007777");
  id.set_address("湖南省娄底市乔头河镇 7 号");
  return id;
}

// The files under `dir` holding `needle` in clear.
std::vector<std::string> FilesWith(const std::string& dir, const std::string& needle) {
  std::vector<std::string> found;
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir)) {
    if (!f.is_regular_file()) continue;
    std::ifstream in(f.path(), std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    if (s.str().find(needle) != std::string::npos) found.push_back(f.path().string());
  }
  return found;
}

void ExpectNothingInClear(const std::string& dir) {
  EXPECT_TRUE(FilesWith(dir, kNationalId).empty());
  EXPECT_TRUE(FilesWith(dir, "Mimi Secret").empty());
}

rv1::ErasePatientReply Erase(RegistryNode& registry, const std::string& patient, const std::string& token = "admin",
                             grpc::StatusCode want = grpc::StatusCode::OK,
                             const std::string& reason = "PIPL art. 47 request") {
  rv1::ErasePatientRequest req;
  req.mutable_patient()->set_value(patient);
  req.set_reason(reason);
  req.set_request_id("erase-" + patient + "-" + token);
  rv1::ErasePatientReply out;
  auto s = registry.stub->ErasePatient(RegistryNode::As(token).get(), req, &out);
  EXPECT_EQ(s.error_code(), want) << s.error_message();
  return out;
}

TEST(IdentityTest, RegistryShowsResidentsIdentityToTheirCareOnlyAndErasesIt) {
  testing::TempDir dir;
  RegistryNode node(dir.Sub("registry"));
  node.ImportSample(YILIAN_SAMPLE_FILE);
  rv1::EnrolResidentRequest enrol;
  enrol.mutable_resident()->mutable_patient()->set_value("pt-secret-1");
  enrol.mutable_resident()->set_family_doctor_institution_id("qiaotouhe-thc");
  enrol.mutable_resident()->set_team("t1");
  enrol.mutable_resident()->mutable_signed_at()->set_seconds(1'790'000'000);
  enrol.mutable_resident()->mutable_sealed_identity()->set_ciphertext("forged");  // read-only: replaced
  *enrol.mutable_identity() = Person();
  enrol.set_request_id("enrol-1");
  rv1::ResidentReply r;
  ASSERT_TRUE(node.stub->EnrolResident(RegistryNode::As("admin").get(), enrol, &r).ok());
  EXPECT_EQ(r.identity().state(), cv1::IDENTITY_SHOWN);
  EXPECT_EQ(r.identity().identity().national_id(), kNationalId);
  EXPECT_NE(r.resident().sealed_identity().ciphertext(), "forged");

  rv1::GetResidentRequest get;
  get.mutable_patient()->set_value("pt-secret-1");
  rv1::ResidentReply seen;
  ASSERT_TRUE(node.stub->GetResident(RegistryNode::As("doc").get(), get, &seen).ok());  // the family doctor's centre
  EXPECT_EQ(seen.identity().identity().name(), kName);
  // A retried enrolment answers as the first, identity shown again.
  rv1::ResidentReply again;
  ASSERT_TRUE(node.stub->EnrolResident(RegistryNode::As("admin").get(), enrol, &again).ok());
  EXPECT_EQ(again.identity().identity().phone(), Person().phone());
  EXPECT_EQ(again.version(), r.version());
  // The family doctor's centre suspended: its staff see no identity until it is reactivated.
  rv1::SuspendInstitutionRequest sus;
  sus.set_institution_id("qiaotouhe-thc");
  sus.set_reason("inspection");
  rv1::InstitutionReply inst;
  ASSERT_TRUE(node.stub->SuspendInstitution(RegistryNode::As("admin").get(), sus, &inst).ok());
  ASSERT_TRUE(node.stub->GetResident(RegistryNode::As("doc").get(), get, &seen).ok());
  EXPECT_EQ(seen.identity().state(), common::v1::IDENTITY_WITHHELD);
  EXPECT_FALSE(seen.identity().has_identity());
  rv1::ReactivateInstitutionRequest re;
  re.set_institution_id("qiaotouhe-thc");
  ASSERT_TRUE(node.stub->ReactivateInstitution(RegistryNode::As("admin").get(), re, &inst).ok());
  ASSERT_TRUE(node.stub->GetResident(RegistryNode::As("doc").get(), get, &seen).ok());
  EXPECT_EQ(seen.identity().identity().name(), kName);

  // Only admins erase; a reason is required.
  Erase(node, "pt-secret-1", "doc", grpc::StatusCode::PERMISSION_DENIED);
  Erase(node, "pt-secret-1", "admin", grpc::StatusCode::INVALID_ARGUMENT, "");
  const auto erased = Erase(node, "pt-secret-1");
  EXPECT_EQ(erased.erasure().patient().value(), "pt-secret-1");
  EXPECT_GT(common::UnixMs(erased.erasure().at()), 0);
  // Erasing again answers the erasure, and writes nothing more.
  const int64_t head = node.Head();
  rv1::ErasePatientRequest twice;
  twice.mutable_patient()->set_value("pt-secret-1");
  twice.set_reason("asked again");
  rv1::ErasePatientReply second;
  ASSERT_TRUE(node.stub->ErasePatient(RegistryNode::As("admin").get(), twice, &second).ok());
  EXPECT_EQ(common::UnixMs(second.erasure().at()), common::UnixMs(erased.erasure().at()));
  EXPECT_EQ(node.Head(), head);

  rv1::ResidentReply after;
  ASSERT_TRUE(node.stub->GetResident(RegistryNode::As("admin").get(), get, &after).ok());
  EXPECT_EQ(after.identity().state(), cv1::IDENTITY_ERASED);
  EXPECT_FALSE(after.identity().has_identity());
  // No identity is taken for an erased patient again.
  enrol.set_request_id("enrol-2");
  rv1::EndResidentRequest end;
  *end.mutable_patient() = get.patient();
  end.set_reason("moved away");
  ASSERT_TRUE(node.stub->EndResident(RegistryNode::As("admin").get(), end, &after).ok());
  auto s = node.stub->EnrolResident(RegistryNode::As("admin").get(), enrol, &after);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_EQ(s.error_message().find(kNationalId), std::string::npos);
  ExpectNothingInClear(dir.path());
}

TEST(IdentityTest, ReferralSealsIdentityShowsItToTheCareChainAndForgetsItOnErasure) {
  testing::TempDir dir;
  referral::ReferralNode node(dir.path());
  node.ImportSample(YILIAN_SAMPLE_FILE);
  fv1::SubmitReferralRequest req;
  auto* r = req.mutable_referral();
  r->set_direction(fv1::UPWARD);
  r->set_receiver_institution_id("loudi-1st");
  r->mutable_patient()->set_value("pt-secret-2");
  r->set_reason("suspected TIA");
  r->set_priority(fv1::URGENT);
  r->set_requested_service(fv1::EXPERT_OUTPATIENT);
  *req.mutable_identity() = Person();
  req.set_request_id("submit-1");
  fv1::ReferralReply out;
  auto s = node.stub->Submit(referral::ReferralNode::As("qiaotouhe-doc").get(), req, &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(out.identity().identity().national_id(), kNationalId);
  fv1::GetReferralRequest get;
  get.set_referral_id(out.referral().referral_id());
  fv1::GetReferralResponse seen;
  ASSERT_TRUE(node.stub->GetReferral(referral::ReferralNode::As("loudi-doc").get(), get, &seen).ok());
  EXPECT_EQ(seen.referral().identity().state(), cv1::IDENTITY_SHOWN);
  EXPECT_EQ(seen.referral().identity().identity().name(), kName);
  // Without a patient reference, identity has nowhere to be kept.
  fv1::SubmitReferralRequest anonymous = req;
  anonymous.mutable_referral()->clear_patient();
  anonymous.set_request_id("submit-2");
  s = node.stub->Submit(referral::ReferralNode::As("qiaotouhe-doc").get(), anonymous, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  Erase(node.registry, "pt-secret-2");
  node.Sync();  // the registry's PatientErased reaches the referral service
  ASSERT_TRUE(node.stub->GetReferral(referral::ReferralNode::As("loudi-doc").get(), get, &seen).ok());
  EXPECT_EQ(seen.referral().identity().state(), cv1::IDENTITY_ERASED);
  EXPECT_FALSE(seen.referral().identity().has_identity());
  EXPECT_TRUE(seen.referral().referral().has_sealed_identity());  // the event stays; it no longer opens
  auto erased = node.stack->vault().Erased("pt-secret-2");
  ASSERT_TRUE(erased.ok());
  EXPECT_TRUE(*erased);
  req.set_request_id("submit-3");
  s = node.stub->Submit(referral::ReferralNode::As("qiaotouhe-doc").get(), req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  // A rebuild of the projection from the journal keeps the identity erased.
  node.Stop();
  node.Start(true);
  ASSERT_TRUE(node.stub->GetReferral(referral::ReferralNode::As("loudi-doc").get(), get, &seen).ok());
  EXPECT_EQ(seen.referral().identity().state(), cv1::IDENTITY_ERASED);
  ExpectNothingInClear(dir.path());
}

TEST(IdentityTest, GreenChannelShowsIdentityToDispatchAndTheDestinationNotToAuditors) {
  testing::TempDir dir;
  greenchannel::GreenChannelNode node(dir.path());
  node.ImportSample(YILIAN_SAMPLE_FILE);
  gv1::OpenCaseRequest req;
  req.set_condition(gv1::STROKE);
  req.set_severity(1);
  req.mutable_location()->set_latitude(27.70);
  req.mutable_location()->set_longitude(111.95);
  YILIAN_SET_MS(req, first_medical_contact_at, absl::ToUnixMillis(node.clock.Now()) - 600000);
  req.set_dispatch_centre("120-loudi");
  req.set_request_id("case-1");
  *req.mutable_identity() = Person();
  gv1::CaseReply opened;
  auto s = node.stub->OpenCase(RegistryNode::As("dispatch").get(), req, &opened);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << "identity without a patient reference";
  req.mutable_patient()->set_value("pt-secret-3");
  s = node.stub->OpenCase(RegistryNode::As("dispatch").get(), req, &opened);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(opened.identity().identity().national_id(), kNationalId);
  EXPECT_EQ(opened.emergency_case().patient().value(), "pt-secret-3");

  gv1::GetCaseRequest get;
  get.set_case_id(opened.emergency_case().case_id());
  gv1::CaseDetail detail;
  ASSERT_TRUE(node.stub->GetCase(RegistryNode::As("auditor").get(), get, &detail).ok());
  EXPECT_EQ(detail.current().identity().state(), cv1::IDENTITY_WITHHELD);
  EXPECT_FALSE(detail.current().identity().has_identity());
  const std::string destination = opened.emergency_case().placement().institution_id();
  if (destination == "loudi-1st") {
    ASSERT_TRUE(node.stub->GetCase(RegistryNode::As("loudi-doc").get(), get, &detail).ok());
    EXPECT_EQ(detail.current().identity().state(), cv1::IDENTITY_SHOWN);
  }

  Erase(node.registry, "pt-secret-3");
  node.Sync();
  ASSERT_TRUE(node.stub->GetCase(RegistryNode::As("dispatch").get(), get, &detail).ok());
  EXPECT_EQ(detail.current().identity().state(), cv1::IDENTITY_ERASED);
  ExpectNothingInClear(dir.path());
}

}  // namespace
}  // namespace yilian
