// libs/fhir: a referral as Task and ServiceRequest, a created Task as the submission it asks
// for, a changed Task as the one command it asks for, and refusals as OperationOutcomes.
#include <gtest/gtest.h>

#include "google/protobuf/util/time_util.h"
#include "yilian/common/problem.h"
#include "yilian/fhir/capability.h"
#include "yilian/fhir/codes.h"
#include "yilian/fhir/organization.h"
#include "yilian/fhir/outcome.h"
#include "yilian/fhir/task.h"
#include "yilian/fhir/task_change.h"
#include "yilian/fhir/task_search.h"
#include "yilian/testing/status_matchers.h"

namespace yilian::fhir {
namespace {

namespace fv1 = ::yilian::referral::v1;
using google::protobuf::util::TimeUtil;
using Json = nlohmann::json;

fv1::ReferralReply Reply() {
  fv1::ReferralReply reply;
  reply.set_version(4);
  auto& r = *reply.mutable_referral();
  r.set_referral_id("ref-0123456789abcdef0123");
  r.set_direction(fv1::UPWARD);
  r.set_sender_institution_id("qiaotouhe-thc");
  r.set_receiver_institution_id("loudi-1st");
  r.mutable_patient()->set_value("pt-7f3a9c");
  r.set_reason("suspected stroke");
  auto* d = r.add_diagnoses();
  d->set_system("http://hl7.org/fhir/sid/icd-10");
  d->set_code("I63.9");
  d->set_display("Cerebral infarction, unspecified");
  r.set_priority(fv1::URGENT);
  r.set_requested_service(fv1::EXAMINATION);
  r.set_status(fv1::READY);
  r.set_business_status(fv1::APPOINTMENT_BOOKED);
  *r.mutable_submitted_at() = TimeUtil::SecondsToTimestamp(1796000000);
  *r.mutable_schedule()->mutable_at() = TimeUtil::SecondsToTimestamp(1796100000);
  r.set_client_reference("HIS-42");
  r.mutable_owner()->set_department("neurology");
  return reply;
}

TEST(FhirTaskTest, AReferralIsATaskAboutItsServiceRequest) {
  const Json t = TaskOf(Reply());
  EXPECT_EQ(t["resourceType"], "Task");
  EXPECT_EQ(t["id"], "ref-0123456789abcdef0123");
  EXPECT_EQ(t["meta"]["versionId"], "4");
  EXPECT_EQ(t["status"], "ready");
  EXPECT_EQ(t["businessStatus"]["coding"][0]["code"], "appointment-booked");
  EXPECT_EQ(t["intent"], "order");
  EXPECT_EQ(t["priority"], "urgent");
  EXPECT_EQ(t["focus"]["reference"], "ServiceRequest/ref-0123456789abcdef0123");
  EXPECT_EQ(t["for"]["identifier"]["value"], "pt-7f3a9c");
  EXPECT_EQ(t["requester"]["reference"], "Organization/qiaotouhe-thc");
  EXPECT_EQ(t["owner"]["reference"], "Organization/loudi-1st");
  EXPECT_EQ(t["owner"]["display"], "neurology");
  EXPECT_EQ(t["authoredOn"], "2026-11-30T00:53:20Z");
  EXPECT_EQ(t["restriction"]["period"]["start"], "2026-12-01T04:40:00Z");
  EXPECT_EQ(t["identifier"][1]["value"], "HIS-42");
  const Json s = ServiceRequestOf(Reply());
  EXPECT_EQ(s["status"], "active");
  EXPECT_EQ(s["category"][0]["coding"][0]["code"], "upward");
  EXPECT_EQ(s["code"]["coding"][0]["code"], "examination");
  EXPECT_EQ(s["reasonCode"][0]["text"], "suspected stroke");
  EXPECT_EQ(s["reasonCode"][1]["coding"][0]["code"], "I63.9");
  EXPECT_EQ(s["performer"][0]["reference"], "Organization/loudi-1st");
}

Json Created() {
  return Json::parse(R"({
    "resourceType": "Task", "status": "requested", "intent": "order", "priority": "stat",
    "identifier": [{"system": "urn:yilian:request", "value": "his-1"},
                   {"system": "urn:yilian:client-reference", "value": "HIS-42"}],
    "contained": [{"resourceType": "ServiceRequest", "id": "sr", "status": "active", "intent": "order",
      "category": [{"coding": [{"system": "urn:yilian:referral-direction", "code": "upward"}]}],
      "code": {"coding": [{"system": "urn:yilian:service-kind", "code": "inpatient-bed"}]},
      "reasonCode": [{"text": "STEMI"}, {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "I21.9"}]}],
      "note": [{"text": "on aspirin"}],
      "subject": {"identifier": {"system": "urn:yilian:patient", "value": "pt-1"}}}],
    "focus": {"reference": "#sr"},
    "for": {"identifier": {"system": "urn:yilian:patient", "value": "pt-1"}},
    "owner": {"reference": "Organization/loudi-1st"}})");
}

TEST(FhirTaskTest, ACreatedTaskIsTheSubmissionItAsksFor) {
  ASSERT_OK_AND_ASSIGN(auto s, SubmitOf(Created(), ""));
  EXPECT_EQ(s.request_id(), "his-1");
  EXPECT_FALSE(s.draft());
  const auto& r = s.referral();
  EXPECT_EQ(r.direction(), fv1::UPWARD);
  EXPECT_EQ(r.requested_service(), fv1::INPATIENT_BED);
  EXPECT_EQ(r.priority(), fv1::STAT);
  EXPECT_EQ(r.receiver_institution_id(), "loudi-1st");
  EXPECT_EQ(r.patient().value(), "pt-1");
  EXPECT_EQ(r.reason(), "STEMI");
  ASSERT_EQ(r.diagnoses_size(), 1);
  EXPECT_EQ(r.diagnoses(0).code(), "I21.9");
  EXPECT_EQ(r.notes(), "on aspirin");
  EXPECT_EQ(r.client_reference(), "HIS-42");
  ASSERT_OK_AND_ASSIGN(auto conditional, SubmitOf(Created(), "from-if-none-exist"));
  EXPECT_EQ(conditional.request_id(), "from-if-none-exist");
}

TEST(FhirTaskTest, AMalformedTaskIsRefusedNamingTheElement) {
  auto field = [](Json t) { return common::ProblemOf(SubmitOf(t, "").status()).field(); };
  Json t = Created();
  t["resourceType"] = "Patient";
  EXPECT_EQ(field(t), "resourceType");
  t = Created();
  t["bogus"] = 1;
  EXPECT_EQ(field(t), "Task.bogus");
  t = Created();
  t["status"] = "accepted";
  EXPECT_EQ(field(t), "Task.status");
  t = Created();
  t.erase("owner");
  EXPECT_EQ(field(t), "Task.owner");
  t = Created();
  t["owner"]["reference"] = "Practitioner/x";
  EXPECT_EQ(field(t), "Task.owner");
  t = Created();
  t["focus"]["reference"] = "#other";
  EXPECT_EQ(field(t), "Task.contained");
  t = Created();
  t["contained"][0]["code"]["coding"][0]["code"] = "surgery";
  EXPECT_EQ(field(t), "Task.contained[ServiceRequest].code");
  t = Created();
  t["contained"][0]["category"][0]["coding"][0]["code"] = "sideways";
  EXPECT_EQ(field(t), "Task.contained[ServiceRequest].category");
  t = Created();
  t["priority"] = "whenever";
  EXPECT_EQ(field(t), "Task.priority");
  t = Created();
  t.erase("for");
  EXPECT_EQ(field(t), "Task.for");
}

TEST(FhirTaskChangeTest, EachStatusIsOneCommand) {
  Json before = TaskOf(Reply());
  before["status"] = "requested";
  before.erase("restriction");
  auto to = [&](const std::string& status, const Json& extra = Json::object()) {
    Json after = before;
    after["status"] = status;
    for (const auto& [k, v] : extra.items()) after[k] = v;
    return TaskChangeOf(before, after);
  };
  ASSERT_OK_AND_ASSIGN(auto none, TaskChangeOf(before, before));
  EXPECT_EQ(none.action, TaskAction::kNone);
  EXPECT_EQ(to("received")->action, TaskAction::kAcknowledge);
  EXPECT_EQ(to("accepted")->action, TaskAction::kAccept);
  ASSERT_OK_AND_ASSIGN(auto rejected, to("rejected", {{"statusReason", {{"text", "not indicated"}}}}));
  EXPECT_EQ(rejected.action, TaskAction::kReject);
  EXPECT_EQ(rejected.reason_code, "other");
  EXPECT_EQ(rejected.reason, "not indicated");
  EXPECT_CODE(to("ready").status(), kInvalidArgument);  // ready needs the appointment
  ASSERT_OK_AND_ASSIGN(auto ready, to("ready", {{"restriction", {{"period", {{"start", "2026-12-10T02:00:00Z"}}}}}}));
  EXPECT_EQ(ready.action, TaskAction::kSchedule);
  EXPECT_EQ(ready.at.seconds(), 1796868000);
  EXPECT_CODE(to("ready", {{"restriction", {{"period", {{"start", "tomorrow"}}}}}}).status(), kInvalidArgument);
  ASSERT_OK_AND_ASSIGN(auto failed, to("failed", {{"businessStatus", {{"coding", {{{"code", "no-show"}}}}}}}));
  EXPECT_EQ(failed.failure, fv1::NO_SHOW);
  EXPECT_CODE(to("failed").status(), kInvalidArgument);
  ASSERT_OK_AND_ASSIGN(auto done,
                       to("completed", {{"output", {{{"type", {{"text", "outcome"}}}, {"valueString", "treated"}}}}}));
  EXPECT_EQ(done.action, TaskAction::kComplete);
  EXPECT_EQ(done.summary, "treated");
  EXPECT_EQ(to("cancelled")->action, TaskAction::kCancel);
  EXPECT_EQ(to("on-hold")->action, TaskAction::kHold);
  EXPECT_EQ(to("in-progress")->action, TaskAction::kArrive);
  EXPECT_EQ(to("entered-in-error")->action, TaskAction::kEnteredInError);
  EXPECT_CODE(to("bogus").status(), kInvalidArgument);
  Json held = before;
  held["status"] = "on-hold";
  Json resumed = held;
  resumed["status"] = "in-progress";
  EXPECT_EQ(TaskChangeOf(held, resumed)->action, TaskAction::kResume);
  // The referral's own record is not changed through the Task.
  Json moved = before;
  moved["owner"]["reference"] = "Organization/xiangya-3rd";
  EXPECT_CODE(TaskChangeOf(before, moved).status(), kFailedPrecondition);
  Json renamed = before;
  renamed["id"] = "other";
  EXPECT_CODE(TaskChangeOf(before, renamed).status(), kInvalidArgument);
}

TEST(FhirOutcomeTest, CodesMapToHttpAndIssueTypes) {
  EXPECT_EQ(HttpStatusOf(absl::StatusCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusOf(absl::StatusCode::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatusOf(absl::StatusCode::kPermissionDenied), 403);
  EXPECT_EQ(HttpStatusOf(absl::StatusCode::kNotFound), 404);
  EXPECT_EQ(HttpStatusOf(absl::StatusCode::kAborted), 412);
  EXPECT_EQ(HttpStatusOf(absl::StatusCode::kFailedPrecondition), 422);
  EXPECT_EQ(HttpStatusOf(absl::StatusCode::kResourceExhausted), 429);
  const Json o = OperationOutcome(
      FailureOf(common::WrongState({"complete", "hold"}, absl::FailedPreconditionError("cannot accept"))));
  EXPECT_EQ(o["resourceType"], "OperationOutcome");
  EXPECT_EQ(o["issue"][0]["code"], "business-rule");
  EXPECT_EQ(o["issue"][0]["diagnostics"], "cannot accept; allowed now: complete, hold");
  const Json f = OperationOutcome(FailureOf(common::InvalidField("Task.owner", "owner!")));
  EXPECT_EQ(f["issue"][0]["code"], "invalid");
  EXPECT_EQ(f["issue"][0]["expression"][0], "Task.owner");
}

TEST(FhirTaskSearchTest, ParametersBecomeTheWorklistQuery) {
  using P = std::vector<std::pair<std::string, std::string>>;
  ASSERT_OK_AND_ASSIGN(auto s, TaskSearchOf(P{{"owner", "Organization/loudi-1st"},
                                              {"status", "requested,received"},
                                              {"business-status", "escalated-to-lead"},
                                              {"priority", "stat"},
                                              {"patient", "Patient/pt-1"},
                                              {"authored-on", "ge2026-12-01T00:00:00Z"},
                                              {"authored-on", "lt2026-12-08"},
                                              {"colour", "blue"}},
                                            /*strict=*/false));
  EXPECT_EQ(s.list, TaskSearch::List::kIncoming);
  EXPECT_EQ(s.worklist.institution_id(), "loudi-1st");
  const auto& f = s.worklist.filter();
  EXPECT_EQ(f.status_size(), 2);
  EXPECT_EQ(f.business_status(0), fv1::ESCALATED_TO_LEAD);
  EXPECT_EQ(f.priority(0), fv1::STAT);
  EXPECT_EQ(f.patient().value(), "pt-1");
  EXPECT_EQ(TimeUtil::ToString(f.submitted_from()), "2026-12-01T00:00:00Z");
  EXPECT_EQ(TimeUtil::ToString(f.submitted_to()), "2026-12-08T00:00:00Z");
  EXPECT_EQ(s.kept.size(), 7u);  // colour ignored (lenient) and not in the self link
  EXPECT_CODE(TaskSearchOf(P{{"owner", "Organization/x"}, {"colour", "blue"}}, true).status(), kInvalidArgument);
  ASSERT_OK_AND_ASSIGN(auto day, TaskSearchOf(P{{"requester", "x"}, {"authored-on", "2026-12-01"}}, false));
  EXPECT_EQ(day.list, TaskSearch::List::kOutgoing);
  EXPECT_EQ(TimeUtil::ToString(day.worklist.filter().submitted_to()), "2026-12-02T00:00:00Z");
  ASSERT_OK_AND_ASSIGN(auto patient, TaskSearchOf(P{{"patient", "pt-1"}, {"_count", "10"}}, false));
  EXPECT_EQ(patient.list, TaskSearch::List::kPatient);
  EXPECT_EQ(patient.patient.patient().value(), "pt-1");
  EXPECT_EQ(patient.patient.page().page_size(), 10);
  EXPECT_CODE(TaskSearchOf(P{{"patient", "pt-1"}, {"status", "ready"}}, false).status(), kInvalidArgument);
  EXPECT_CODE(TaskSearchOf(P{{"status", "ready"}}, false).status(), kInvalidArgument);
  EXPECT_CODE(TaskSearchOf(P{{"owner", "x"}, {"requester", "y"}}, false).status(), kInvalidArgument);
  EXPECT_CODE(TaskSearchOf(P{{"owner", "x"}, {"_count", "0"}}, false).status(), kInvalidArgument);
}

TEST(FhirOrganizationTest, AnInstitutionIsAnOrganization) {
  registry::v1::InstitutionReply reply;
  reply.set_version(3);
  auto& i = *reply.mutable_institution();
  i.set_institution_id("loudi-1st");
  i.set_name("娄底市第一人民医院");
  i.set_short_name("Loudi First");
  i.set_tier(3);
  i.set_type(registry::v1::TERTIARY_HOSPITAL);
  i.add_capabilities(registry::v1::STROKE_CENTRE);
  i.set_suspended(true);
  const Json o = OrganizationOf(reply);
  EXPECT_EQ(o["resourceType"], "Organization");
  EXPECT_EQ(o["id"], "loudi-1st");
  EXPECT_EQ(o["meta"]["versionId"], "3");
  EXPECT_EQ(o["active"], false);
  EXPECT_EQ(o["type"][0]["coding"][0]["code"], "tertiary-hospital");
  EXPECT_EQ(o["type"][1]["coding"][0]["code"], "3");
  EXPECT_EQ(o["type"][2]["coding"][0]["code"], "stroke-centre");
  EXPECT_EQ(o["alias"][0], "Loudi First");
}

TEST(FhirCodesTest, EnumsRoundTrip) {
  for (auto s : {fv1::DRAFT, fv1::REQUESTED, fv1::IN_PROGRESS, fv1::ENTERED_IN_ERROR, fv1::ON_HOLD})
    EXPECT_EQ(TaskStatusOf(TaskStatusCode(s)), s);
  EXPECT_EQ(TaskStatusCode(fv1::IN_PROGRESS), "in-progress");
  EXPECT_EQ(ServiceKindOf("tele-consultation"), fv1::TELE_CONSULTATION);
  EXPECT_FALSE(PriorityOf("priority-unspecified").has_value());
  EXPECT_FALSE(TaskStatusOf("status-unspecified").has_value());
  const Json cap = CapabilityStatement("http://x/fhir", "1");
  EXPECT_EQ(cap["fhirVersion"], "4.0.1");
  EXPECT_EQ(cap["rest"][0]["resource"][0]["type"], "Task");
}

}  // namespace
}  // namespace yilian::fhir
