// The FHIR gateway over a real referral service: a third-party FHIR client from npm
// (tests/fhir/client_flow.mjs, fhir-kit-client) creates a referral, finds it on the receiver's
// worklist and moves it to completion through the gateway, each answer validated against the
// official FHIR R4 JSON schema; and the edge's refusals, each an OperationOutcome with its status.
#include <civetweb.h>
#include <gtest/gtest.h>

#include <fstream>
#include <iostream>

#include "../../services/gateway/fhir_api.h"
#include "../../services/gateway/http_server.h"
#include "nlohmann/json.hpp"
#include "referral_node.h"
#include "yilian/fhir/capability.h"
#include "yilian/testing/subprocess.h"
#include "yilian/testing/temp_dir.h"

namespace yilian::gateway {
namespace {

namespace fv1 = ::yilian::referral::v1;
using Json = nlohmann::json;

struct Reply {
  int status = 0;
  std::map<std::string, std::string> headers;
  std::string body;
  Json json() const { return Json::parse(body, nullptr, false); }
};

class GatewayFhirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node_ = std::make_unique<referral::ReferralNode>(dir_.Sub("node"));
    node_->ImportSample(YILIAN_SAMPLE_FILE);
    api_ = std::make_unique<FhirApi>(
        grpc::CreateChannel(node_->stack->address(), grpc::InsecureChannelCredentials()),
        grpc::CreateChannel(node_->registry.host->address(), grpc::InsecureChannelCredentials()), "test");
    auto server = HttpServer::Start({.listen = "127.0.0.1:0", .threads = 4, .max_body_bytes = 1 << 20}, "/fhir",
                                    [this](const HttpRequest& r) { return api_->Handle(r); });
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    base_ = "http://127.0.0.1:" + std::to_string(server_->port()) + "/fhir";
  }
  void TearDown() override {
    server_.reset();
    api_.reset();
    node_.reset();
  }

  // One HTTP/1.1 request with civetweb's client.
  Reply Http(const std::string& method, const std::string& path, const std::string& token, const std::string& body = "",
             const std::vector<std::string>& headers = {}) const {
    char err[256] = {};
    mg_connection* c = mg_connect_client("127.0.0.1", server_->port(), 0, err, sizeof err);
    EXPECT_NE(c, nullptr) << err;
    if (c == nullptr) return {};
    std::string head = method + " /fhir" + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
    if (!token.empty()) head += "Authorization: Bearer " + token + "\r\n";
    for (const auto& h : headers) head += h + "\r\n";
    head += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    mg_write(c, head.data(), head.size());
    if (!body.empty()) mg_write(c, body.data(), body.size());
    Reply r;
    if (mg_get_response(c, err, sizeof err, 30000) < 0) {
      ADD_FAILURE() << "no response: " << err;
      mg_close_connection(c);
      return r;
    }
    const mg_response_info* ri = mg_get_response_info(c);
    r.status = ri->status_code;
    for (int i = 0; i < ri->num_headers; ++i) r.headers[ri->http_headers[i].name] = ri->http_headers[i].value;
    char buf[8192];
    int n;
    while ((n = mg_read(c, buf, sizeof buf)) > 0) r.body.append(buf, static_cast<size_t>(n));
    mg_close_connection(c);
    return r;
  }
  static void ExpectOutcome(const Reply& r, int status, const std::string& issue) {
    EXPECT_EQ(r.status, status) << r.body;
    const Json j = r.json();
    EXPECT_EQ(j.value("resourceType", ""), "OperationOutcome") << r.body;
    if (j.contains("issue")) {
      EXPECT_EQ(j["issue"][0].value("code", ""), issue) << r.body;
    }
  }

  testing::TempDir dir_;
  std::unique_ptr<referral::ReferralNode> node_;
  std::unique_ptr<FhirApi> api_;
  std::unique_ptr<HttpServer> server_;
  std::string base_;
};

TEST_F(GatewayFhirTest, AThirdPartyClientRunsAReferralToCompletionThroughTheGateway) {
  testing::Subprocess flow(
      {"/usr/bin/env", "node", YILIAN_SOURCE "/tests/fhir/client_flow.mjs", base_, "qiaotouhe-doc", "loudi-doc"});
  std::string out;
  while (auto line = flow.ReadLine()) out += *line + "\n";
  std::cout << out;  // the client's steps, in the test log
  EXPECT_EQ(flow.ExitCode(), 0) << out;
  EXPECT_NE(out.find("ok: "), std::string::npos) << out;
}

TEST_F(GatewayFhirTest, EveryListedInteractionAnswers) {
  const Reply meta = Http("GET", "/metadata", "");
  ASSERT_EQ(meta.status, 200) << meta.body;
  const Json cap = meta.json();
  ASSERT_EQ(cap["resourceType"], "CapabilityStatement");
  ASSERT_EQ(cap["rest"][0]["resource"].size(), fhir::Capabilities().size());
  for (const auto& resource : cap["rest"][0]["resource"]) {
    const std::string type = resource["type"];
    const bool task = type != "Organization";
    const std::string token = task ? "loudi-doc" : "doc";  // the registry node's own test token
    const std::string id = task ? "ref-unknown" : "nowhere";
    const std::string search = task ? "owner=Organization/loudi-1st" : "";  // what a Task search needs
    for (const auto& i : resource["interaction"]) {
      const std::string code = i["code"];
      // Each listed interaction is routed (never 404 "no such resource" nor 405): an unknown
      // id answers not-found from the service, a search or create is checked by the service.
      Reply r;
      if (code == "read") r = Http("GET", "/" + type + "/" + id, token);
      if (code == "vread") r = Http("GET", "/" + type + "/" + id + "/_history/1", token);
      if (code == "history-instance") r = Http("GET", "/" + type + "/" + id + "/_history", token);
      if (code == "search-type") r = Http("GET", "/" + type + "?" + search, token);
      if (code == "create") r = Http("POST", "/" + type, token, "{}", {"Content-Type: application/fhir+json"});
      if (code == "update")
        r = Http("PUT", "/" + type + "/" + id, token, "{}", {"Content-Type: application/fhir+json"});
      if (code == "patch")
        r = Http("PATCH", "/" + type + "/" + id, token, "[]", {"Content-Type: application/json-patch+json"});
      EXPECT_NE(r.status, 405) << type << " " << code;
      EXPECT_NE(r.status, 0) << type << " " << code;
      if (code == "read") {
        EXPECT_EQ(r.status, 404) << type << r.body;
      }
      if (code == "search-type") {
        EXPECT_EQ(r.status, 200) << r.body;
        EXPECT_EQ(r.json()["type"], "searchset");
        for (const auto& p : resource["searchParam"]) {
          const std::string name = p["name"];
          const std::map<std::string, std::string> values = {{"_count", "5"},
                                                             {"status", "requested"},
                                                             {"business-status", "slot-booked"},
                                                             {"priority", "urgent"},
                                                             {"patient", "Patient/pt-7f3a9c01"},
                                                             {"authored-on", "ge2020-01-01T00:00:00Z"}};
          const std::string value = values.count(name) ? values.at(name) : "Organization/loudi-1st";
          std::string query = search;
          if (name == "requester") query = "";  // instead of owner
          if (name != "owner") query += (query.empty() ? "" : "&") + name + "=" + value;
          const Reply searched = Http("GET", "/" + type + "?" + query, token, "", {"Prefer: handling=strict"});
          EXPECT_EQ(searched.status, 200) << type << " " << name << " " << searched.body;
        }
      }
    }
  }
}

// An institution of the registry as an Organization a Task's owner and requester reference,
// valid against the R4 schema.
TEST_F(GatewayFhirTest, TheOrganizationsTasksReferenceAreServedFromTheRegistry) {
  const Reply read = Http("GET", "/Organization/loudi-1st", "doc");
  ASSERT_EQ(read.status, 200) << read.body;
  const Json org = read.json();
  EXPECT_EQ(org["id"], "loudi-1st");
  EXPECT_EQ(org["active"], true);
  EXPECT_FALSE(org.value("name", "").empty());
  const Reply all = Http("GET", "/Organization?_count=2", "doc");
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(all.json()["entry"].size(), 2u);
  ASSERT_EQ(all.json()["link"].size(), 2u) << all.body;  // self and next
  const std::string file = dir_.Sub("org") + ".json";
  std::ofstream(file) << read.body;
  std::ofstream(file + ".bundle.json") << all.body;
  testing::Subprocess validate(
      {"/usr/bin/env", "node", YILIAN_SOURCE "/tests/fhir/validate.mjs", file, file + ".bundle.json"});
  std::string out;
  while (auto line = validate.ReadLine()) out += *line + "\n";
  EXPECT_EQ(validate.ExitCode(), 0) << out;
  ExpectOutcome(Http("GET", "/Organization/nowhere", "doc"), 404, "not-found");
}

TEST_F(GatewayFhirTest, BadInputGetsItsStatusAndAnOperationOutcomeAndChangesNothing) {
  ExpectOutcome(Http("POST", "/Task", "qiaotouhe-doc", "{not json", {"Content-Type: application/fhir+json"}), 400,
                "invalid");
  ExpectOutcome(
      Http("POST", "/Task", "qiaotouhe-doc", R"({"resourceType":"Patient"})", {"Content-Type: application/fhir+json"}),
      400, "invalid");
  ExpectOutcome(Http("POST", "/Task", "qiaotouhe-doc", "{}", {"Content-Type: text/plain"}), 415, "invalid");
  ExpectOutcome(
      Http("POST", "/Task", "qiaotouhe-doc", std::string(10 << 20, 'x'), {"Content-Type: application/fhir+json"}), 413,
      "invalid");
  ExpectOutcome(Http("GET", "/Task?owner=Organization/loudi-1st", "not-a-token"), 401, "login");
  ExpectOutcome(
      Http("GET", "/Task?owner=Organization/loudi-1st&colour=blue", "loudi-doc", "", {"Prefer: handling=strict"}), 400,
      "invalid");
  EXPECT_EQ(Http("GET", "/Task?owner=Organization/loudi-1st&colour=blue", "loudi-doc").status, 200);  // lenient
  ExpectOutcome(Http("GET", "/Task", "loudi-doc"), 400, "invalid");  // neither owner, requester nor patient
  ExpectOutcome(Http("GET", "/Task?patient=Patient/pt-7f3a9c01&status=requested", "loudi-doc"), 400, "invalid");
  ExpectOutcome(Http("GET", "/Task?owner=Organization/loudi-1st&authored-on=yesterday", "loudi-doc"), 400, "invalid");
  ExpectOutcome(Http("GET", "/Task?owner=Organization/loudi-1st&business-status=lost", "loudi-doc"), 400, "invalid");
  EXPECT_EQ(Http("GET", "/Task?patient=Patient/pt-7f3a9c01", "loudi-doc").status,
            200);  // one patient's, as far as in care
  ExpectOutcome(Http("GET", "/Task?owner=Organization/loudi-1st&_count=1000", "loudi-doc"), 400, "invalid");
  ExpectOutcome(Http("GET", "/Patient/pt-7f3a9c01", "loudi-doc"), 404, "not-found");
  ExpectOutcome(Http("DELETE", "/Task/ref-x", "loudi-doc"), 405, "not-supported");
  ExpectOutcome(Http("PATCH", "/Task/ref-x", "loudi-doc", "[]",
                     {"Content-Type: application/json-patch+json", "If-Match: yesterday"}),
                400, "invalid");
  // Nothing above reached the referral service as a change.
  fv1::ListWorklistRequest list;
  fv1::ListWorklistResponse out;
  ASSERT_TRUE(node_->stub->ListOutgoing(referral::ReferralNode::As("qiaotouhe-doc").get(), list, &out).ok());
  EXPECT_EQ(out.referrals_size(), 0);
}

}  // namespace
}  // namespace yilian::gateway
