#pragma once
// The FHIR R4 REST face of the referral service (docs/FHIR.md): routes each request under
// /fhir to one referral (or registry) RPC, called with the caller's own Authorization (the gateway holds no
// data and no privileges of its own), and answers FHIR JSON: the resource, a Bundle, or an
// OperationOutcome for every refusal.
//
//   GET    /fhir/metadata                 the CapabilityStatement
//   POST   /fhir/Task                     Submit (If-None-Exist: identifier=urn:yilian:request|<id>)
//   GET    /fhir/Task?owner=Organization/<id> | requester=Organization/<id> [&status=..][&_count=n]
//   GET    /fhir/Task/<id>                GetReferral
//   GET    /fhir/Task/<id>/_history[/<v>] every version (GetReferral with_versions), or one
//   PATCH  /fhir/Task/<id>                a JSON Patch (If-Match: W/"<version>"): one command
//   PUT    /fhir/Task/<id>                the same, from the whole Task
//   GET    /fhir/ServiceRequest/<id>      the referral's request
//   GET    /fhir/Organization/<id>, /fhir/Organization[?_count=n]   the registry's institutions
//
// Mapping rules live in libs/fhir; this file only routes and calls. Thread-safe.

#include <memory>
#include <string>

#include "grpcpp/grpcpp.h"
#include "http_server.h"
#include "nlohmann/json.hpp"
#include "yilian/fhir/outcome.h"
#include "yilian/referral/v1/referral_service.grpc.pb.h"
#include "yilian/registry/v1/registry.grpc.pb.h"

namespace yilian::gateway {

class FhirApi {
 public:
  FhirApi(std::shared_ptr<grpc::Channel> referral, std::shared_ptr<grpc::Channel> registry,
          std::string software_version);

  HttpResponse Handle(const HttpRequest& req) const;

 private:
  using Stub = referral::v1::Referrals::Stub;
  using Json = nlohmann::json;

  HttpResponse Read(const HttpRequest& req, const std::string& type, const std::string& id) const;
  HttpResponse Organization(const HttpRequest& req, const std::string& id) const;
  HttpResponse Organizations(const HttpRequest& req) const;
  HttpResponse History(const HttpRequest& req, const std::string& id, const std::string& version) const;
  HttpResponse Search(const HttpRequest& req) const;
  HttpResponse Create(const HttpRequest& req) const;
  HttpResponse Change(const HttpRequest& req, const std::string& id) const;

  // Calls `rpc` with the caller's credentials; a refusal as the Failure the service gave.
  template <typename S, typename Req, typename Resp>
  std::optional<fhir::Failure> Call(S& stub, grpc::Status (S::*rpc)(grpc::ClientContext*, const Req&, Resp*),
                                    const HttpRequest& http, const Req& req, Resp* out) const;
  // The referral now, or why not.
  std::optional<fhir::Failure> Current(const HttpRequest& http, const std::string& id,
                                       referral::v1::GetReferralResponse* out) const;

  std::unique_ptr<Stub> referral_;
  std::unique_ptr<registry::v1::Registry::Stub> registry_;
  std::string version_;
};

}  // namespace yilian::gateway
