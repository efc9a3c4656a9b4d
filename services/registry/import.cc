// Sending an import plan through the registry's gRPC commands, changing only what differs.
#include "import.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/protobuf/util/time_util.h"
#include "yilian/common/sha256.h"
#include "yilian/host/grpc_status.h"

namespace yilian::registry {

namespace rv1 = ::yilian::registry::v1;

namespace {

using Stub = rv1::Registry::StubInterface;

class Importer {
 public:
  Importer(Stub& stub, std::string token) : stub_(stub), token_(std::move(token)) {}

  template <typename Req, typename Reply>
  absl::Status Call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Reply*), const Req& req, Reply* out,
                    const std::string& what) {
    grpc::ClientContext ctx;
    if (!token_.empty()) ctx.AddMetadata("authorization", "Bearer " + token_);  // none: mutual TLS names us
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    grpc::Status s = (stub_.*method)(&ctx, req, out);
    if (s.ok()) return absl::OkStatus();
    absl::Status st = host::FromGrpcStatus(s);
    if (st.code() == absl::StatusCode::kNotFound) return st;  // callers probe with Get
    return absl::Status(st.code(), absl::StrCat(what, ": ", st.message()));
  }

  // A request id fixed by the item's content: a rerun of an interrupted import is a retry.
  static std::string RequestId(const std::string& kind, const std::string& id, const google::protobuf::Message& item) {
    std::string bytes;
    item.SerializeToString(&bytes);
    return absl::StrCat("import/", kind, "/", id, "/", common::Sha256Hex(bytes).substr(0, 16));
  }

  absl::Status Institution(const rv1::Institution& want) {
    const std::string what = absl::StrCat("institution ", want.institution_id());
    rv1::GetInstitutionRequest get;
    get.set_institution_id(want.institution_id());
    rv1::InstitutionReply have;
    absl::Status s = Call(&Stub::GetInstitution, get, &have, what);
    if (absl::IsNotFound(s)) {
      rv1::RegisterInstitutionRequest req;
      *req.mutable_institution() = want;
      req.set_request_id(RequestId("institution", want.institution_id(), want));
      ++report.created;
      return Call(&Stub::RegisterInstitution, req, &have, what);
    }
    if (!s.ok()) return s;
    rv1::Institution current = have.institution();
    current.clear_suspended();
    current.clear_suspension_reason();
    if (google::protobuf::util::MessageDifferencer::Equals(current, want)) return Unchanged();
    rv1::UpdateInstitutionRequest req;
    *req.mutable_institution() = want;
    req.set_expected_version(have.version());
    req.set_request_id(RequestId("institution-update", want.institution_id(), want));
    ++report.updated;
    return Call(&Stub::UpdateInstitution, req, &have, what);
  }

  absl::Status Consortium(const rv1::Consortium& want) {
    const std::string what = absl::StrCat("consortium ", want.consortium_id());
    rv1::GetConsortiumRequest get;
    get.set_consortium_id(want.consortium_id());
    rv1::ConsortiumReply have;
    absl::Status s = Call(&Stub::GetConsortium, get, &have, what);
    if (absl::IsNotFound(s)) {
      rv1::FormConsortiumRequest req;
      *req.mutable_consortium() = want;
      req.set_request_id(RequestId("consortium", want.consortium_id(), want));
      ++report.created;
      return Call(&Stub::FormConsortium, req, &have, what);
    }
    if (!s.ok()) return s;
    if (have.consortium().lead_institution_id() != want.lead_institution_id())
      return absl::FailedPreconditionError(absl::StrCat(what, ": led by ", have.consortium().lead_institution_id(),
                                                        ", the file says ", want.lead_institution_id(),
                                                        "; import does not change leads"));
    bool changed = false;
    for (const auto& m : want.member_ids()) {
      const auto& ids = have.consortium().member_ids();
      if (std::find(ids.begin(), ids.end(), m) != ids.end()) continue;
      rv1::ConsortiumMemberRequest req;
      req.set_consortium_id(want.consortium_id());
      req.set_institution_id(m);
      req.set_request_id(RequestId("member", want.consortium_id() + "/" + m, req));
      if (auto st = Call(&Stub::AddConsortiumMember, req, &have, what); !st.ok()) return st;
      changed = true;
    }
    if (!changed) return Unchanged();
    ++report.updated;
    return absl::OkStatus();
  }

  absl::Status Ward(const rv1::Ward& want, const std::map<std::string, rv1::WardReply>& existing) {
    const std::string what = absl::StrCat("ward ", want.institution_id(), "/", want.ward_id());
    rv1::WardReply out;
    auto it = existing.find(want.ward_id());
    if (it == existing.end()) {
      rv1::DefineWardRequest req;
      *req.mutable_ward() = want;
      req.set_request_id(RequestId("ward", want.institution_id() + "/" + want.ward_id(), want));
      ++report.created;
      return Call(&Stub::DefineWard, req, &out, what);
    }
    const auto& have = it->second.ward();
    if (have.capacity() == want.capacity() && have.emergency_reserved() == want.emergency_reserved())
      return Unchanged();
    rv1::ChangeWardCapacityRequest req;
    req.set_institution_id(want.institution_id());
    req.set_ward_id(want.ward_id());
    req.set_capacity(want.capacity());
    req.set_emergency_reserved(want.emergency_reserved());
    req.set_expected_version(it->second.version());
    req.set_request_id(RequestId("ward-capacity", want.institution_id() + "/" + want.ward_id(), want));
    ++report.updated;
    return Call(&Stub::ChangeWardCapacity, req, &out, what);
  }

  absl::Status Wards(const std::vector<rv1::Ward>& wards) {
    std::map<std::string, std::map<std::string, rv1::WardReply>> by_institution;
    for (const auto& w : wards) {
      if (!by_institution.count(w.institution_id())) {
        auto& existing = by_institution[w.institution_id()];
        rv1::ListWardsRequest req;
        req.set_institution_id(w.institution_id());
        req.mutable_page()->set_page_size(500);
        do {
          rv1::ListWardsResponse page;
          if (auto s = Call(&Stub::ListWards, req, &page, "wards of " + w.institution_id()); !s.ok()) return s;
          for (const auto& r : page.wards()) existing[r.ward().ward_id()] = r;
          req.mutable_page()->set_page_token(page.page().next_page_token());
        } while (!req.page().page_token().empty());
      }
      if (auto s = Ward(w, by_institution[w.institution_id()]); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  absl::Status Session(const rv1::ExpertSession& want) {
    const std::string what = absl::StrCat("expert session ", want.session_id());
    rv1::ListExpertSessionsRequest list;
    list.set_institution_id(want.institution_id());
    *list.mutable_from() = want.starts_at();
    *list.mutable_to() = google::protobuf::util::TimeUtil::MillisecondsToTimestamp(
        google::protobuf::util::TimeUtil::TimestampToMilliseconds(want.starts_at()) + 1);
    list.mutable_page()->set_page_size(500);
    rv1::ListExpertSessionsResponse day;
    if (auto s = Call(&Stub::ListExpertSessions, list, &day, what); !s.ok()) return s;
    for (const auto& s : day.sessions())
      if (s.session().session_id() == want.session_id()) return Unchanged();
    rv1::PublishExpertSessionRequest req;
    *req.mutable_session() = want;
    req.set_request_id(RequestId("session", want.session_id(), want));
    rv1::ExpertSessionReply out;
    ++report.created;
    return Call(&Stub::PublishExpertSession, req, &out, what);
  }

  ImportReport report;

 private:
  absl::Status Unchanged() {
    ++report.unchanged;
    return absl::OkStatus();
  }
  Stub& stub_;
  std::string token_;
};

}  // namespace

std::string ImportReport::Summary() const {
  return absl::StrCat(created, " created, ", updated, " updated, ", unchanged, " unchanged");
}

absl::StatusOr<ImportReport> Import(rv1::Registry::StubInterface& registry, const std::string& token,
                                    const ImportPlan& plan) {
  Importer im(registry, token);
  for (const auto& i : plan.institutions)
    if (auto s = im.Institution(i); !s.ok()) return s;
  for (const auto& c : plan.consortia)
    if (auto s = im.Consortium(c); !s.ok()) return s;
  if (auto s = im.Wards(plan.wards); !s.ok()) return s;
  for (const auto& s : plan.sessions)
    if (auto st = im.Session(s); !st.ok()) return st;
  return im.report;
}

}  // namespace yilian::registry
