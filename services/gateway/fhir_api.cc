#include "fhir_api.h"

#include <civetweb.h>

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "yilian/common/problem.h"
#include "yilian/common/uuid.h"
#include "yilian/fhir/bundle.h"
#include "yilian/fhir/capability.h"
#include "yilian/fhir/codes.h"
#include "yilian/fhir/organization.h"
#include "yilian/fhir/task.h"
#include "yilian/fhir/task_change.h"
#include "yilian/fhir/task_search.h"
#include "yilian/host/problem_trailer.h"

namespace yilian::gateway {

namespace fv1 = ::yilian::referral::v1;
namespace rv1 = ::yilian::registry::v1;
using Json = nlohmann::json;

namespace {

constexpr char kPrefix[] = "/fhir";

std::string Base(const HttpRequest& req) {
  const std::string host = req.Header("host").empty() ? "localhost" : req.Header("host");
  return absl::StrCat(req.tls ? "https://" : "http://", host, kPrefix);
}

HttpResponse Answer(int status, const Json& body, std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump();
  r.headers = std::move(headers);
  return r;
}

HttpResponse Refuse(const fhir::Failure& f) {
  std::vector<std::pair<std::string, std::string>> headers;
  if (f.code == absl::StatusCode::kUnauthenticated) headers.emplace_back("WWW-Authenticate", "Bearer");
  return Answer(fhir::HttpStatusOf(f.code), fhir::OperationOutcome(f), std::move(headers));
}
HttpResponse Refuse(const absl::Status& s) { return Refuse(fhir::FailureOf(s)); }

std::string Decode(absl::string_view s) {
  std::string out(s.size() + 1, '\0');
  const int n = mg_url_decode(s.data(), static_cast<int>(s.size()), out.data(), static_cast<int>(out.size()), 1);
  out.resize(n < 0 ? 0 : static_cast<size_t>(n));
  return out;
}
std::string Encode(const std::string& s) {
  std::string out(s.size() * 3 + 1, '\0');
  const int n = mg_url_encode(s.c_str(), out.data(), out.size());
  out.resize(n < 0 ? 0 : static_cast<size_t>(n));
  return out;
}

std::vector<std::pair<std::string, std::string>> QueryOf(const std::string& query) {
  std::vector<std::pair<std::string, std::string>> out;
  for (absl::string_view part : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    const size_t eq = part.find('=');
    out.emplace_back(Decode(part.substr(0, eq)), eq == absl::string_view::npos ? "" : Decode(part.substr(eq + 1)));
  }
  return out;
}

bool IsJson(const std::string& content_type) {
  return absl::StartsWith(content_type, "application/fhir+json") || absl::StartsWith(content_type, "application/json");
}

// The version an If-Match names (W/"3" or "3"); 0 when absent.
absl::StatusOr<int64_t> VersionOf(const std::string& if_match) {
  if (if_match.empty()) return 0;
  absl::string_view v = if_match;
  absl::ConsumePrefix(&v, "W/");
  int64_t n = 0;
  if (!absl::ConsumePrefix(&v, "\"") || !absl::ConsumeSuffix(&v, "\"") || !absl::SimpleAtoi(v, &n) || n <= 0)
    return common::InvalidField("If-Match", absl::StrCat("If-Match \"", if_match, "\" is not W/\"<version>\""));
  return n;
}

// The request type of a unary Referrals stub method.
template <typename M>
struct RequestOf;
template <typename Req>
struct RequestOf<grpc::Status (fv1::Referrals::Stub::*)(grpc::ClientContext*, const Req&, fv1::ReferralReply*)> {
  using type = Req;
};

std::vector<std::pair<std::string, std::string>> VersionHeaders(const std::string& base, const std::string& type,
                                                                const fv1::ReferralReply& r, bool location) {
  std::vector<std::pair<std::string, std::string>> h = {{"ETag", absl::StrCat("W/\"", r.version(), "\"")}};
  if (location)
    h.emplace_back("Location",
                   absl::StrCat(base, "/", type, "/", r.referral().referral_id(), "/_history/", r.version()));
  return h;
}

}  // namespace

FhirApi::FhirApi(std::shared_ptr<grpc::Channel> referral, std::shared_ptr<grpc::Channel> registry,
                 std::string software_version)
    : referral_(fv1::Referrals::NewStub(referral)),
      registry_(rv1::Registry::NewStub(registry)),
      version_(std::move(software_version)) {}

template <typename S, typename Req, typename Resp>
std::optional<fhir::Failure> FhirApi::Call(S& stub, grpc::Status (S::*rpc)(grpc::ClientContext*, const Req&, Resp*),
                                           const HttpRequest& http, const Req& req, Resp* out) const {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  if (const std::string auth = http.Header("authorization"); !auth.empty()) ctx.AddMetadata("authorization", auth);
  if (const std::string flow = http.Header("x-correlation-id"); !flow.empty())
    ctx.AddMetadata("x-correlation-id", flow);
  const grpc::Status s = (stub.*rpc)(&ctx, req, out);
  if (s.ok()) return std::nullopt;
  auto problem = host::ProblemOf(ctx);
  return fhir::FailureOf(static_cast<absl::StatusCode>(s.error_code()), s.error_message(),
                         problem ? *problem : common::v1::Problem());
}

std::optional<fhir::Failure> FhirApi::Current(const HttpRequest& http, const std::string& id,
                                              fv1::GetReferralResponse* out) const {
  fv1::GetReferralRequest get;
  get.set_referral_id(id);
  return Call(*referral_, &Stub::GetReferral, http, get, out);
}

HttpResponse FhirApi::Handle(const HttpRequest& req) const {
  if (req.body_too_large)
    return Answer(
        413, fhir::OperationOutcome(fhir::Failure{
                 absl::StatusCode::kInvalidArgument, "the body is larger than this server takes", "", {}, 0, false}));
  absl::string_view path = req.path;
  absl::ConsumePrefix(&path, kPrefix);
  const std::vector<std::string> parts = absl::StrSplit(path, '/', absl::SkipEmpty());
  auto not_allowed = [&] {
    HttpResponse r = Refuse(absl::UnimplementedError(absl::StrCat(req.method, " is not served on ", req.path)));
    r.status = 405;
    return r;
  };
  if (parts.size() == 1 && parts[0] == "metadata") {
    if (req.method != "GET" && req.method != "HEAD") return not_allowed();
    return Answer(200, fhir::CapabilityStatement(Base(req), version_));
  }
  if (parts.empty() || (parts[0] != "Task" && parts[0] != "ServiceRequest" && parts[0] != "Organization"))
    return Refuse(
        absl::NotFoundError(absl::StrCat("no resource type \"", parts.empty() ? "" : parts[0],
                                         "\" here: the gateway serves Task, ServiceRequest and Organization")));
  const std::string& type = parts[0];
  if (type == "Organization") {
    if (req.method != "GET" && req.method != "HEAD") return not_allowed();
    if (parts.size() == 1) return Organizations(req);
    if (parts.size() == 2) return Organization(req, parts[1]);
    return Refuse(absl::NotFoundError(absl::StrCat("nothing at ", req.path)));
  }
  if (parts.size() == 1) {
    if (type == "Task" && req.method == "GET") return Search(req);
    if (type == "Task" && req.method == "POST") return Create(req);
    return not_allowed();
  }
  if (parts.size() == 2) {
    if (req.method == "GET" || req.method == "HEAD") return Read(req, type, parts[1]);
    if (type == "Task" && (req.method == "PATCH" || req.method == "PUT")) return Change(req, parts[1]);
    return not_allowed();
  }
  if (type == "Task" && parts[2] == "_history" && parts.size() <= 4) {
    if (req.method != "GET" && req.method != "HEAD") return not_allowed();
    return History(req, parts[1], parts.size() == 4 ? parts[3] : "");
  }
  if (parts[2] == "_history") return Refuse(absl::UnimplementedError(absl::StrCat(type, " history is not served")));
  return Refuse(absl::NotFoundError(absl::StrCat("nothing at ", req.path)));
}

HttpResponse FhirApi::Read(const HttpRequest& req, const std::string& type, const std::string& id) const {
  fv1::GetReferralResponse got;
  if (auto refused = Current(req, id, &got)) return Refuse(*refused);
  const auto& r = got.referral();
  const google::protobuf::Timestamp updated =
      got.timeline().empty() ? google::protobuf::Timestamp() : got.timeline().rbegin()->recorded_at();
  return Answer(200, type == "Task" ? fhir::TaskOf(r, updated) : fhir::ServiceRequestOf(r),
                VersionHeaders(Base(req), type, r, false));
}

HttpResponse FhirApi::Organization(const HttpRequest& req, const std::string& id) const {
  rv1::GetInstitutionRequest get;
  get.set_institution_id(id);
  rv1::InstitutionReply got;
  if (auto refused = Call(*registry_, &rv1::Registry::Stub::GetInstitution, req, get, &got)) return Refuse(*refused);
  return Answer(200, fhir::OrganizationOf(got), {{"ETag", absl::StrCat("W/\"", got.version(), "\"")}});
}

HttpResponse FhirApi::Organizations(const HttpRequest& req) const {
  const bool strict = absl::StrContains(req.Header("prefer"), "handling=strict");
  rv1::ListInstitutionsRequest list;
  std::string self_query;
  for (const auto& [name, value] : QueryOf(req.query)) {
    if (name == "_count") {
      int n = 0;
      if (!absl::SimpleAtoi(value, &n) || n < 1 || n > fhir::kMaxCount)
        return Refuse(common::InvalidField("_count", absl::StrCat("_count is 1..", fhir::kMaxCount)));
      list.mutable_page()->set_page_size(n);
      absl::StrAppend(&self_query, "_count=", n);
    } else if (name == "_page_token") {
      list.mutable_page()->set_page_token(value);
    } else if (name != "_format" && strict) {
      return Refuse(common::InvalidField(name, absl::StrCat("unknown search parameter \"", name, "\"")));
    }
  }
  rv1::ListInstitutionsResponse page;
  if (auto refused = Call(*registry_, &rv1::Registry::Stub::ListInstitutions, req, list, &page))
    return Refuse(*refused);
  std::vector<Json> found;
  for (const auto& i : page.institutions()) found.push_back(fhir::OrganizationOf(i));
  const std::string base = Base(req);
  const std::string self = absl::StrCat(base, "/Organization?", self_query);
  const std::string next =
      page.page().next_page_token().empty()
          ? ""
          : absl::StrCat(self, self_query.empty() ? "" : "&", "_page_token=", Encode(page.page().next_page_token()));
  return Answer(200, fhir::Searchset(base, found, self, next));
}

HttpResponse FhirApi::History(const HttpRequest& req, const std::string& id, const std::string& version) const {
  int64_t wanted = 0;
  if (!version.empty() && (!absl::SimpleAtoi(version, &wanted) || wanted <= 0))
    return Refuse(absl::NotFoundError(absl::StrCat("Task/", id, " has no version \"", version, "\"")));
  fv1::GetReferralRequest get;
  get.set_referral_id(id);
  get.set_with_versions(true);
  fv1::GetReferralResponse got;
  if (auto refused = Call(*referral_, &Stub::GetReferral, req, get, &got)) return Refuse(*refused);
  // Every version is one the journal holds: the referral as that event left it.
  std::vector<Json> versions;
  for (int i = 0; i < got.versions_size(); ++i)
    versions.push_back(fhir::TaskOf(
        got.versions(i), i < got.timeline_size() ? got.timeline(i).recorded_at() : google::protobuf::Timestamp()));
  const std::string base = Base(req);
  if (version.empty()) return Answer(200, fhir::History(base, versions, absl::StrCat(base, "/Task/", id, "/_history")));
  if (wanted > static_cast<int64_t>(versions.size()))
    return Refuse(absl::NotFoundError(absl::StrCat("Task/", id, " has no version ", wanted)));
  return Answer(200, versions[static_cast<size_t>(wanted - 1)],
                VersionHeaders(base, "Task", got.versions(static_cast<int>(wanted - 1)), false));
}

HttpResponse FhirApi::Search(const HttpRequest& req) const {
  auto search = fhir::TaskSearchOf(QueryOf(req.query), absl::StrContains(req.Header("prefer"), "handling=strict"));
  if (!search.ok()) return Refuse(search.status());
  std::string self_query;
  for (const auto& [name, value] : search->kept)
    absl::StrAppend(&self_query, self_query.empty() ? "" : "&", Encode(name), "=", Encode(value));
  fv1::ListWorklistResponse page;
  std::optional<fhir::Failure> refused;
  switch (search->list) {
    case fhir::TaskSearch::List::kIncoming:
      refused = Call(*referral_, &Stub::ListIncoming, req, search->worklist, &page);
      break;
    case fhir::TaskSearch::List::kOutgoing:
      refused = Call(*referral_, &Stub::ListOutgoing, req, search->worklist, &page);
      break;
    case fhir::TaskSearch::List::kPatient:
      refused = Call(*referral_, &Stub::ListPatientReferrals, req, search->patient, &page);
      break;
  }
  if (refused) return Refuse(*refused);
  std::vector<Json> tasks;
  for (const auto& r : page.referrals()) tasks.push_back(fhir::TaskOf(r));
  const std::string base = Base(req);
  const std::string self = absl::StrCat(base, "/Task?", self_query);
  const std::string next = page.page().next_page_token().empty()
                               ? ""
                               : absl::StrCat(self, "&_page_token=", Encode(page.page().next_page_token()));
  return Answer(200, fhir::Searchset(base, tasks, self, next));
}

HttpResponse FhirApi::Create(const HttpRequest& req) const {
  if (!IsJson(req.Header("content-type")))
    return Answer(415, fhir::OperationOutcome(fhir::FailureOf(
                           common::InvalidField("Content-Type", "send the Task as application/fhir+json"))));
  Json task = Json::parse(req.body, nullptr, false);
  if (task.is_discarded()) return Refuse(common::InvalidField("body", "the body is not JSON"));
  std::string request_id;
  if (const std::string cond = req.Header("if-none-exist"); !cond.empty()) {
    const std::string prefix = absl::StrCat("identifier=", fhir::kRequestSystem, "|");
    const std::string decoded = Decode(cond);
    if (!absl::StartsWith(decoded, prefix) || decoded.size() == prefix.size())
      return Refuse(common::InvalidField(
          "If-None-Exist", absl::StrCat("If-None-Exist takes identifier=", fhir::kRequestSystem, "|<request id>")));
    request_id = decoded.substr(prefix.size());
  }
  auto submit = fhir::SubmitOf(task, request_id);
  if (!submit.ok()) return Refuse(submit.status());
  if (submit->request_id().empty()) submit->set_request_id(common::NewUuid());  // a plain create
  fv1::ReferralReply reply;
  if (auto refused = Call(*referral_, &Stub::Submit, req, *submit, &reply)) return Refuse(*refused);
  // A retry with the same request id gets the first answer, as every Yilian command does.
  return Answer(201, fhir::TaskOf(reply), VersionHeaders(Base(req), "Task", reply, true));
}

HttpResponse FhirApi::Change(const HttpRequest& req, const std::string& id) const {
  const bool patch = req.method == "PATCH";
  const std::string content_type = req.Header("content-type");
  if (patch ? !absl::StartsWith(content_type, "application/json-patch+json") : !IsJson(content_type))
    return Answer(415, fhir::OperationOutcome(fhir::FailureOf(
                           common::InvalidField("Content-Type", patch ? "a PATCH is application/json-patch+json"
                                                                      : "send the Task as application/fhir+json"))));
  auto expected = VersionOf(req.Header("if-match"));
  if (!expected.ok()) return Refuse(expected.status());
  Json body = Json::parse(req.body, nullptr, false);
  if (body.is_discarded()) return Refuse(common::InvalidField("body", "the body is not JSON"));
  fv1::GetReferralResponse got;
  if (auto refused = Current(req, id, &got)) return Refuse(*refused);
  const Json before = fhir::TaskOf(got.referral());
  Json after;
  if (patch) {
    if (!body.is_array()) return Refuse(common::InvalidField("body", "a JSON Patch is an array of operations"));
    try {
      after = before.patch(body);
    } catch (const nlohmann::json::exception& e) {
      return Refuse(common::InvalidField("body", absl::StrCat("the patch does not apply: ", e.what())));
    }
  } else {
    after = body;
  }
  auto change = fhir::TaskChangeOf(before, after);
  if (!change.ok()) return Refuse(change.status());
  if (change->action == fhir::TaskAction::kNone)
    return Answer(200, before, VersionHeaders(Base(req), "Task", got.referral(), false));
  // With If-Match the request id is the change itself: a retry gets the first answer.
  const std::string request_id = *expected > 0
                                     ? absl::StrCat("fhir-", id, "-v", *expected, "-", fhir::ActionName(change->action))
                                     : common::NewUuid();
  fv1::ReferralReply reply;
  // One referral command: the request `Req` with the referral, version and request id, and
  // what `fill` adds from the change.
  auto run = [&](auto rpc, auto fill) {
    typename RequestOf<decltype(rpc)>::type r;
    r.set_referral_id(id);
    r.set_expected_version(*expected);
    r.set_request_id(request_id);
    fill(r);
    return Call(*referral_, rpc, req, r, &reply);
  };
  const fhir::TaskChange& c = *change;
  auto nothing = [](auto&) {};
  std::optional<fhir::Failure> refused;
  switch (c.action) {
    case fhir::TaskAction::kSend:
      refused = run(&Stub::Send, nothing);
      break;
    case fhir::TaskAction::kAcknowledge:
      refused = run(&Stub::Acknowledge, nothing);
      break;
    case fhir::TaskAction::kAccept:
      refused = run(&Stub::Accept, nothing);
      break;
    case fhir::TaskAction::kReject:
      refused = run(&Stub::Reject, [&](fv1::RejectReferralRequest& r) {
        r.set_reason_code(c.reason_code);
        r.set_advice(c.reason);
      });
      break;
    case fhir::TaskAction::kSchedule:
      refused = run(&Stub::Schedule, [&](fv1::ScheduleReferralRequest& r) { *r.mutable_appointment_at() = c.at; });
      break;
    case fhir::TaskAction::kReschedule:
      refused = run(&Stub::Reschedule, [&](fv1::RescheduleReferralRequest& r) {
        *r.mutable_appointment_at() = c.at;
        r.set_reason(c.reason);
      });
      break;
    case fhir::TaskAction::kArrive:
      refused = run(&Stub::RecordArrival, nothing);
      break;
    case fhir::TaskAction::kResume:
      refused = run(&Stub::Resume, nothing);
      break;
    case fhir::TaskAction::kHold:
      refused = run(&Stub::Hold, [&](fv1::HoldReferralRequest& r) { r.set_reason(c.reason); });
      break;
    case fhir::TaskAction::kComplete:
      refused = run(&Stub::Complete, [&](fv1::CompleteReferralRequest& r) { r.set_outcome_summary(c.summary); });
      break;
    case fhir::TaskAction::kCancel:
      refused = run(&Stub::Cancel, [&](fv1::CancelReferralRequest& r) { r.set_reason(c.reason); });
      break;
    case fhir::TaskAction::kFail:
      refused = run(&Stub::Fail, [&](fv1::FailReferralRequest& r) {
        r.set_reason(c.failure);
        r.set_note(c.reason);
      });
      break;
    case fhir::TaskAction::kEnteredInError:
      refused = run(&Stub::MarkEnteredInError, [&](fv1::MarkEnteredInErrorRequest& r) { r.set_reason(c.reason); });
      break;
    case fhir::TaskAction::kNone:
      break;
  }
  if (refused) return Refuse(*refused);
  return Answer(200, fhir::TaskOf(reply), VersionHeaders(Base(req), "Task", reply, false));
}

}  // namespace yilian::gateway
