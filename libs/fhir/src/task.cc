#include "yilian/fhir/task.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/time_util.h"
#include "yilian/common/problem.h"
#include "yilian/domain/referral/referral.h"
#include "yilian/fhir/codes.h"

namespace yilian::fhir {

namespace fv1 = ::yilian::referral::v1;
using google::protobuf::util::TimeUtil;
using Json = nlohmann::json;

std::string Instant(const google::protobuf::Timestamp& t) { return TimeUtil::ToString(t); }

absl::StatusOr<google::protobuf::Timestamp> ParseInstant(const std::string& text, const std::string& field) {
  google::protobuf::Timestamp t;
  // FHIR's instant/dateTime with a time carries its zone; TimeUtil takes exactly RFC 3339.
  if (text.size() > 64 || !TimeUtil::FromString(text, &t))
    return common::InvalidField(field, absl::StrCat(field, " is not an RFC 3339 date-time with a zone"));
  return t;
}

namespace {

Json Reference(const std::string& type, const std::string& id) { return {{"reference", absl::StrCat(type, "/", id)}}; }
Json PatientOf(const fv1::Referral& r) {
  return {{"identifier", {{"system", kPatientSystem}, {"value", r.patient().value()}}}};
}

std::string ServiceRequestStatus(fv1::Status s) {
  switch (s) {
    case fv1::DRAFT:
      return "draft";
    case fv1::ON_HOLD:
      return "on-hold";
    case fv1::COMPLETED:
      return "completed";
    case fv1::REJECTED:
    case fv1::CANCELLED:
    case fv1::FAILED:
      return "revoked";
    case fv1::ENTERED_IN_ERROR:
      return "entered-in-error";
    default:
      return "active";
  }
}

}  // namespace

Json TaskOf(const fv1::ReferralReply& reply, const google::protobuf::Timestamp& last_updated) {
  const fv1::Referral& r = reply.referral();
  Json t = {
      {"resourceType", "Task"}, {"id", r.referral_id()}, {"meta", {{"versionId", std::to_string(reply.version())}}}};
  if (last_updated.seconds() != 0 || last_updated.nanos() != 0) t["meta"]["lastUpdated"] = Instant(last_updated);
  Json ids = Json::array({{{"system", kReferralSystem}, {"value", r.referral_id()}}});
  if (!r.client_reference().empty()) ids.push_back({{"system", kClientRefSystem}, {"value", r.client_reference()}});
  t["identifier"] = ids;
  if (!r.linked_from().empty()) t["partOf"] = Json::array({Reference("Task", r.linked_from())});
  t["status"] = TaskStatusCode(r.status());
  if (!r.status_reason().empty()) t["statusReason"] = {{"text", r.status_reason()}};
  if (r.business_status() != fv1::BUSINESS_STATUS_UNSPECIFIED) {
    const std::string code = domain::referral::FhirBusinessStatus(r.business_status());
    t["businessStatus"] = CodeableConcept(kBusinessStatusSystem, code);
    t["businessStatus"]["text"] = code;
  }
  t["intent"] = "order";
  if (r.priority() != fv1::PRIORITY_UNSPECIFIED) t["priority"] = PriorityCode(r.priority());
  t["focus"] = Reference("ServiceRequest", r.referral_id());
  if (!r.patient().value().empty()) t["for"] = PatientOf(r);
  if (r.has_submitted_at()) t["authoredOn"] = Instant(r.submitted_at());
  t["requester"] = Reference("Organization", r.sender_institution_id());
  if (!r.receiver_institution_id().empty()) {
    t["owner"] = Reference("Organization", r.receiver_institution_id());
    if (r.has_owner())
      t["owner"]["display"] = r.owner().clinician().empty() ? r.owner().department() : r.owner().clinician();
  }
  // The period the work is restricted to: the appointment or admission from its start, the
  // deadline the receiver works to as its end.
  Json period = Json::object();
  if (r.schedule().has_at()) period["start"] = Instant(r.schedule().at());
  if ((r.status() == fv1::REQUESTED || r.status() == fv1::RECEIVED) && r.has_respond_by())
    period["end"] = Instant(r.respond_by());
  else if (r.status() == fv1::ACCEPTED && r.has_schedule_by())
    period["end"] = Instant(r.schedule_by());
  if (!period.empty()) t["restriction"] = {{"period", period}};
  Json input = Json::array();
  for (const auto& x : r.exam_results()) {
    Json in = {{"type", CodeableConcept("urn:yilian:exam-kind", CodeOfName(fv1::ExamKind_Name(x.kind())))},
               {"valueIdentifier",
                {{"system", absl::StrCat("urn:yilian:exam-result:", x.performing_institution_id())},
                 {"value", x.result_id()}}}};
    input.push_back(in);
  }
  if (!input.empty()) t["input"] = input;
  Json output = Json::array();
  if (!r.outcome_summary().empty())
    output.push_back({{"type", {{"text", "outcome"}}}, {"valueString", r.outcome_summary()}});
  if (!r.advice().empty()) output.push_back({{"type", {{"text", "advice"}}}, {"valueString", r.advice()}});
  if (!r.linked_to().empty())
    output.push_back({{"type", {{"text", "continued-by"}}}, {"valueReference", Reference("Task", r.linked_to())}});
  if (!output.empty()) t["output"] = output;
  return t;
}

Json ServiceRequestOf(const fv1::ReferralReply& reply) {
  const fv1::Referral& r = reply.referral();
  Json s = {{"resourceType", "ServiceRequest"},
            {"id", r.referral_id()},
            {"meta", {{"versionId", std::to_string(reply.version())}}},
            {"status", ServiceRequestStatus(r.status())},
            {"intent", "order"}};
  if (r.direction() != fv1::DIRECTION_UNSPECIFIED)
    s["category"] = Json::array({CodeableConcept(kDirectionSystem, DirectionCode(r.direction()))});
  if (r.priority() != fv1::PRIORITY_UNSPECIFIED) s["priority"] = PriorityCode(r.priority());
  if (r.requested_service() != fv1::SERVICE_KIND_UNSPECIFIED)
    s["code"] = CodeableConcept(kServiceKindSystem, ServiceKindCode(r.requested_service()));
  s["subject"] = PatientOf(r);
  if (r.has_submitted_at()) s["authoredOn"] = Instant(r.submitted_at());
  s["requester"] = Reference("Organization", r.sender_institution_id());
  if (!r.receiver_institution_id().empty())
    s["performer"] = Json::array({Reference("Organization", r.receiver_institution_id())});
  Json reasons = Json::array();
  if (!r.reason().empty()) reasons.push_back({{"text", r.reason()}});
  for (const auto& d : r.diagnoses()) {
    Json coding = {{"system", d.system()}, {"code", d.code()}};
    if (!d.display().empty()) coding["display"] = d.display();
    reasons.push_back({{"coding", Json::array({coding})}});
  }
  if (!reasons.empty()) s["reasonCode"] = reasons;
  if (!r.notes().empty()) s["note"] = Json::array({{{"text", r.notes()}}});
  return s;
}

namespace {

// Refuses elements of `o` outside `known`, naming the first ("Task.foo").
absl::Status OnlyKnown(const Json& o, const std::string& path, const std::set<std::string>& known) {
  for (const auto& [k, v] : o.items())
    if (!known.count(k)) return common::InvalidField(path + "." + k, absl::StrCat("unknown element ", path, ".", k));
  return absl::OkStatus();
}
absl::StatusOr<std::string> Text(const Json& o, const std::string& key, const std::string& path) {
  if (!o.contains(key)) return std::string();
  if (!o[key].is_string()) return common::InvalidField(path, path + " must be a string");
  return o[key].get<std::string>();
}
// The id of "<type>/<id>" in a Reference element; "" when absent.
absl::StatusOr<std::string> ReferencedId(const Json& o, const std::string& key, const std::string& type,
                                         const std::string& path) {
  if (!o.contains(key)) return std::string();
  const Json& ref = o[key];
  if (!ref.is_object() || !ref.contains("reference") || !ref["reference"].is_string())
    return common::InvalidField(path, absl::StrCat(path, " must be a Reference to ", type, "/<id>"));
  const std::string text = ref["reference"].get<std::string>();
  if (!absl::StartsWith(text, type + "/") || text.size() == type.size() + 1)
    return common::InvalidField(path, absl::StrCat(path, " must reference ", type, "/<id>, not \"", text, "\""));
  return text.substr(type.size() + 1);
}
// The code of the first coding of a CodeableConcept in `system`.
absl::StatusOr<std::string> CodeIn(const Json& cc, const std::string& system, const std::string& path) {
  if (!cc.is_object() || !cc.contains("coding") || !cc["coding"].is_array())
    return common::InvalidField(path, path + " must be a CodeableConcept with a coding");
  for (const auto& c : cc["coding"])
    if (c.is_object() && c.value("system", "") == system && c.contains("code") && c["code"].is_string())
      return c["code"].get<std::string>();
  return common::InvalidField(path, absl::StrCat(path, " needs a coding of system ", system));
}

absl::Status ReadServiceRequest(const Json& sr, fv1::Referral& r) {
  const std::string p = "Task.contained[ServiceRequest]";
  if (auto s = OnlyKnown(sr, p,
                         {"resourceType", "id", "status", "intent", "category", "code", "reasonCode", "subject", "note",
                          "priority", "requester", "performer", "authoredOn"});
      !s.ok())
    return s;
  if (!sr.contains("category") || !sr["category"].is_array() || sr["category"].empty())
    return common::InvalidField(p + ".category",
                                "the ServiceRequest's category gives the direction (upward, downward)");
  auto dir = CodeIn(sr["category"][0], kDirectionSystem, p + ".category");
  if (!dir.ok()) return dir.status();
  auto direction = DirectionOf(*dir);
  if (!direction)
    return common::InvalidField(p + ".category", absl::StrCat("direction \"", *dir, "\" is not upward or downward"));
  r.set_direction(*direction);
  if (!sr.contains("code"))
    return common::InvalidField(p + ".code", "the ServiceRequest's code gives the service asked for");
  auto kind = CodeIn(sr["code"], kServiceKindSystem, p + ".code");
  if (!kind.ok()) return kind.status();
  auto service = ServiceKindOf(*kind);
  if (!service)
    return common::InvalidField(
        p + ".code", absl::StrCat("service \"", *kind,
                                  "\" is not expert-outpatient, inpatient-bed, examination or tele-consultation"));
  r.set_requested_service(*service);
  if (sr.contains("reasonCode")) {
    if (!sr["reasonCode"].is_array()) return common::InvalidField(p + ".reasonCode", "reasonCode must be an array");
    for (const auto& reason : sr["reasonCode"]) {
      if (!reason.is_object()) return common::InvalidField(p + ".reasonCode", "a reasonCode must be a CodeableConcept");
      if (reason.contains("text")) {
        if (!reason["text"].is_string()) return common::InvalidField(p + ".reasonCode.text", "text must be a string");
        r.set_reason(r.reason().empty() ? reason["text"].get<std::string>()
                                        : absl::StrCat(r.reason(), "; ", reason["text"].get<std::string>()));
      }
      if (reason.contains("coding") && reason["coding"].is_array())
        for (const auto& c : reason["coding"]) {
          if (!c.is_object()) continue;
          auto* d = r.add_diagnoses();
          d->set_system(c.value("system", ""));
          d->set_code(c.value("code", ""));
          d->set_display(c.value("display", ""));
        }
    }
  }
  if (sr.contains("note") && sr["note"].is_array()) {
    std::vector<std::string> notes;
    for (const auto& n : sr["note"])
      if (n.is_object() && n.contains("text") && n["text"].is_string()) notes.push_back(n["text"].get<std::string>());
    r.set_notes(absl::StrJoin(notes, "\n"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<fv1::SubmitReferralRequest> SubmitOf(const Json& task, const std::string& request_id) {
  if (!task.is_object() || task.value("resourceType", "") != "Task")
    return common::InvalidField("resourceType", "the body must be a Task resource");
  if (auto s = OnlyKnown(task, "Task",
                         {"resourceType", "id", "meta", "text", "identifier", "status", "intent", "priority",
                          "contained", "focus", "for", "owner", "requester", "authoredOn"});
      !s.ok())
    return s;
  fv1::SubmitReferralRequest out;
  fv1::Referral& r = *out.mutable_referral();
  out.set_request_id(request_id);
  if (task.contains("identifier")) {
    if (!task["identifier"].is_array()) return common::InvalidField("Task.identifier", "identifier must be an array");
    for (const auto& id : task["identifier"]) {
      if (!id.is_object() || !id.contains("value") || !id["value"].is_string()) continue;
      const std::string system = id.value("system", "");
      if (system == kRequestSystem && out.request_id().empty()) out.set_request_id(id["value"].get<std::string>());
      if (system == kClientRefSystem) r.set_client_reference(id["value"].get<std::string>());
    }
  }
  const std::string status = task.value("status", "");
  if (status != "requested" && status != "draft")
    return common::InvalidField("Task.status",
                                "a new referral's Task.status is requested (or draft to save it unsent)");
  out.set_draft(status == "draft");
  if (task.value("intent", "") != "order") return common::InvalidField("Task.intent", "Task.intent must be order");
  if (task.contains("priority")) {
    auto p = Text(task, "priority", "Task.priority");
    if (!p.ok()) return p.status();
    auto priority = PriorityOf(*p);
    if (!priority)
      return common::InvalidField("Task.priority",
                                  absl::StrCat("priority \"", *p, "\" is not routine, urgent, asap or stat"));
    r.set_priority(*priority);
  } else {
    r.set_priority(fv1::ROUTINE);
  }
  auto receiver = ReferencedId(task, "owner", "Organization", "Task.owner");
  if (!receiver.ok()) return receiver.status();
  if (receiver->empty()) return common::InvalidField("Task.owner", "Task.owner names the receiving Organization");
  r.set_receiver_institution_id(*receiver);
  auto sender = ReferencedId(task, "requester", "Organization", "Task.requester");
  if (!sender.ok()) return sender.status();
  r.set_sender_institution_id(*sender);  // "" = the caller's institution
  if (!task.contains("for") || !task["for"].is_object() || !task["for"].contains("identifier") ||
      task["for"]["identifier"].value("system", "") != kPatientSystem || !task["for"]["identifier"].contains("value") ||
      !task["for"]["identifier"]["value"].is_string())
    return common::InvalidField("Task.for",
                                absl::StrCat("Task.for names the patient by an identifier of system ", kPatientSystem));
  r.mutable_patient()->set_value(task["for"]["identifier"]["value"].get<std::string>());
  auto focus = Text(task.value("focus", Json::object()), "reference", "Task.focus.reference");
  if (!focus.ok()) return focus.status();
  if (focus->size() < 2 || (*focus)[0] != '#')
    return common::InvalidField("Task.focus", "Task.focus references the contained ServiceRequest (\"#<id>\")");
  const Json* service_request = nullptr;
  if (task.contains("contained") && task["contained"].is_array())
    for (const auto& c : task["contained"])
      if (c.is_object() && c.value("resourceType", "") == "ServiceRequest" && c.value("id", "") == focus->substr(1))
        service_request = &c;
  if (service_request == nullptr)
    return common::InvalidField("Task.contained",
                                absl::StrCat("no contained ServiceRequest with id \"", focus->substr(1), "\""));
  if (auto s = ReadServiceRequest(*service_request, r); !s.ok()) return s;
  return out;  // request_id may still be empty: the caller gives a plain create one of its own
}

}  // namespace yilian::fhir
