#include "yilian/registry_model/registry_model.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "yilian/command/reveal_record.h"
#include "yilian/common/oneof_event.h"
#include "yilian/common/status_macros.h"
#include "yilian/common/strings.h"
#include "yilian/common/timestamp.h"

namespace yilian::registry_model {

namespace rv1 = ::yilian::registry::v1;

namespace dreg = ::yilian::domain::registry;
using eventstore::Family;

absl::StatusOr<rv1::RegistryEvent> EventOf(const events::v1::Envelope& envelope) {
  return common::UnpackEvent<rv1::RegistryEvent>(envelope);
}

namespace {

// Folds `e` into the row at `key` (a Reply holding State at `field`) and stamps the version.
template <typename Reply, typename State>
absl::Status Fold(eventstore::ProjectionBatch& rows, const std::string& key, const rv1::RegistryEvent& e,
                  int64_t version, State* (Reply::*field)(), std::optional<State>* out = nullptr) {
  ASSIGN_OR_RETURN(auto row, rows.Get(key));
  Reply reply;
  std::optional<State> state;
  if (row) {
    if (!reply.ParseFromString(*row)) return absl::DataLossError(absl::StrCat("row ", key, " does not parse"));
    state = *(reply.*field)();
  }
  RETURN_IF_ERROR(dreg::Evolve(state, e));
  *(reply.*field)() = *state;
  reply.set_version(version);
  rows.Put(key, reply.SerializeAsString());
  if (out) *out = std::move(state);
  return absl::OkStatus();
}

std::string MemberKey(const std::string& prefix, const std::string& institution, const std::string& consortium) {
  return absl::StrCat(prefix, "m/", institution, "/", consortium);
}

// Sessions are indexed by their start: unix milliseconds in 16 zero-padded digits sort as the
// instants do (the registry refuses sessions before 1970).
constexpr size_t kStartKeyLength = 16;
std::string StartKey(int64_t ms) { return absl::StrFormat("%016d", std::max<int64_t>(0, ms)); }

}  // namespace

absl::Status RegistryProjector::Apply(const events::v1::Envelope& env, eventstore::ProjectionBatch& rows) {
  if (command::IsRevealRecord(env.aggregate_type())) return absl::OkStatus();  // for the audit, not the views
  ASSIGN_OR_RETURN(rv1::RegistryEvent e, EventOf(env));
  const std::string& type = env.aggregate_type();
  const std::string& id = env.aggregate_id();
  const int64_t v = env.aggregate_version();
  if (type == dreg::kInstitution)
    return Fold(rows, prefix_ + "i/" + id, e, v, &rv1::InstitutionReply::mutable_institution);
  if (type == dreg::kWard) return Fold(rows, prefix_ + "w/" + id, e, v, &rv1::WardReply::mutable_ward);
  if (type == dreg::kResident) return Fold(rows, prefix_ + "r/" + id, e, v, &rv1::ResidentReply::mutable_resident);
  if (type == dreg::kPatient) {
    if (!e.has_patient_erased()) return absl::InvalidArgumentError("a patient aggregate holds only PatientErased");
    if (on_erased_) RETURN_IF_ERROR(on_erased_(id, common::UnixMs(e.patient_erased().at())));
    rv1::ErasePatientReply row;
    *row.mutable_erasure() = e.patient_erased();
    row.set_version(v);
    rows.Put(prefix_ + "x/" + id, row.SerializeAsString());
    return absl::OkStatus();
  }
  if (type == dreg::kExpertSession) {
    std::optional<rv1::ExpertSession> s;
    RETURN_IF_ERROR(Fold(rows, prefix_ + "s/" + id, e, v, &rv1::ExpertSessionReply::mutable_session, &s));
    rows.Put(absl::StrCat(prefix_, "sx/", s->institution_id(), "/", StartKey(common::UnixMs(s->starts_at())), "/", id),
             "");
    return absl::OkStatus();
  }
  if (type == dreg::kConsortium) {
    RETURN_IF_ERROR(Fold(rows, prefix_ + "c/" + id, e, v, &rv1::ConsortiumReply::mutable_consortium));
    if (e.has_consortium_formed())
      for (const auto& m : e.consortium_formed().consortium().member_ids()) rows.Put(MemberKey(prefix_, m, id), "");
    if (e.has_consortium_member_added())
      rows.Put(MemberKey(prefix_, e.consortium_member_added().institution_id(), id), "");
    if (e.has_consortium_member_removed())
      rows.Delete(MemberKey(prefix_, e.consortium_member_removed().institution_id(), id));
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown registry aggregate type \"", type, "\""));
}

absl::StatusOr<Page> PageOf(const common::v1::PageRequest& request, const std::string& prefix) {
  Page page;
  if (request.page_size() < 0) return absl::InvalidArgumentError("page_size must not be negative");
  if (request.page_size() > 0) page.size = std::min(request.page_size(), 500);
  if (!request.page_token().empty()) {
    if (!absl::WebSafeBase64Unescape(common::Sv(request.page_token()), &page.after) ||
        !absl::StartsWith(page.after, prefix))
      return absl::InvalidArgumentError("page_token does not belong to this listing; start again without it");
  }
  return page;
}

std::string PageToken(const std::string& last_key) { return absl::WebSafeBase64Escape(common::Sv(last_key)); }

bool Page::Room(common::v1::PageInfo* info) const {
  if (taken < size) return true;
  info->set_next_page_token(PageToken(last));
  return false;
}

template <typename Reply>
absl::StatusOr<std::optional<Reply>> RegistryView::Row(const std::string& key) const {
  ASSIGN_OR_RETURN(auto row, store_->Get(family_, key));
  if (!row) return std::optional<Reply>();
  Reply reply;
  if (!reply.ParseFromString(*row)) return absl::DataLossError(absl::StrCat("row ", key, " does not parse"));
  return std::optional<Reply>(std::move(reply));
}

absl::StatusOr<std::optional<rv1::InstitutionReply>> RegistryView::Institution(const std::string& id) const {
  return Row<rv1::InstitutionReply>(Key("i/" + id));
}
absl::StatusOr<std::optional<rv1::ConsortiumReply>> RegistryView::Consortium(const std::string& id) const {
  return Row<rv1::ConsortiumReply>(Key("c/" + id));
}
absl::StatusOr<std::optional<rv1::WardReply>> RegistryView::Ward(const std::string& institution_id,
                                                                 const std::string& ward_id) const {
  return Row<rv1::WardReply>(Key("w/" + dreg::WardAggregateId(institution_id, ward_id)));
}
absl::StatusOr<std::optional<rv1::ExpertSessionReply>> RegistryView::Session(const std::string& id) const {
  return Row<rv1::ExpertSessionReply>(Key("s/" + id));
}
absl::StatusOr<std::optional<rv1::ResidentReply>> RegistryView::Resident(const std::string& token) const {
  return Row<rv1::ResidentReply>(Key("r/" + token));
}

absl::StatusOr<std::optional<rv1::ErasePatientReply>> RegistryView::Erasure(const std::string& token) const {
  return Row<rv1::ErasePatientReply>(Key("x/" + token));
}

std::optional<rv1::Institution> RegistryView::FindInstitution(const std::string& id) const {
  auto r = Institution(id);
  if (!r.ok() || !*r) return std::nullopt;
  return (*r)->institution();
}

std::vector<std::string> RegistryView::ConsortiaOf(const std::string& institution_id) const {
  std::vector<std::string> out;
  const std::string prefix = Key(absl::StrCat("m/", institution_id, "/"));
  auto n = store_->Scan(family_, prefix, "", [&](std::string_view key, std::string_view) {
    out.emplace_back(key.substr(prefix.size()));
    return true;
  });
  if (!n.ok()) out.clear();
  return out;
}

absl::StatusOr<rv1::ListInstitutionsResponse> RegistryView::ListInstitutions(
    const rv1::ListInstitutionsRequest& req) const {
  if (req.tier() < 0 || req.tier() > 3)
    return absl::InvalidArgumentError(absl::StrCat("tier filter ", req.tier(), " is not 0..3"));
  if (!rv1::Capability_IsValid(req.capability()))
    return absl::InvalidArgumentError(
        absl::StrCat("capability filter ", req.capability(), " is not in the vocabulary"));
  ASSIGN_OR_RETURN(Page page, PageOf(req.page(), Key("i/")));
  std::vector<std::string> keys;  // candidate rows in key order
  if (!req.consortium_id().empty()) {
    ASSIGN_OR_RETURN(auto c, Consortium(req.consortium_id()));
    if (!c) return absl::NotFoundError(absl::StrCat("consortium \"", req.consortium_id(), "\" does not exist"));
    for (const auto& m : c->consortium().member_ids()) keys.push_back(Key("i/" + m));
    std::sort(keys.begin(), keys.end());
  }
  rv1::ListInstitutionsResponse out;
  absl::Status failed;
  auto consider = [&](const std::string& key, std::string_view value) {
    if (key <= page.after && !page.after.empty()) return true;
    rv1::InstitutionReply r;
    if (!r.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      failed = absl::DataLossError(absl::StrCat("row ", key, " does not parse"));
      return false;
    }
    const auto& caps = r.institution().capabilities();
    if (req.tier() != 0 && r.institution().tier() != req.tier()) return true;
    if (req.capability() != rv1::CAPABILITY_UNSPECIFIED &&
        std::find(caps.begin(), caps.end(), req.capability()) == caps.end())
      return true;
    if (!page.Room(out.mutable_page())) return false;
    *out.add_institutions() = std::move(r);
    page.Take(key);
    return true;
  };
  if (req.consortium_id().empty()) {
    ASSIGN_OR_RETURN(auto n,
                     store_->Scan(family_, Key("i/"), page.ScanStart(),
                                  [&](std::string_view k, std::string_view v) { return consider(std::string(k), v); }));
    (void)n;
  } else {
    for (const auto& key : keys) {
      ASSIGN_OR_RETURN(auto row, store_->Get(family_, key));
      if (row && !consider(key, *row)) break;
    }
  }
  if (!failed.ok()) return failed;
  return out;
}

namespace {

// Lists rows under `prefix` into `add` (page by page), parsing each as Reply.
template <typename Reply, typename Add>
absl::Status ListRows(const eventstore::Store& store, Family family, const std::string& prefix, Page page, Add add,
                      common::v1::PageInfo* info) {
  absl::Status failed;
  auto scanned = store.Scan(family, prefix, page.ScanStart(), [&](std::string_view key, std::string_view value) {
    if (!page.Room(info)) return false;
    Reply r;
    if (!r.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      failed = absl::DataLossError(absl::StrCat("row ", common::Sv(key), " does not parse"));
      return false;
    }
    add(std::move(r));
    page.Take(key);
    return true;
  });
  if (!scanned.ok()) return scanned.status();
  return failed;
}

}  // namespace

absl::StatusOr<rv1::ListConsortiaResponse> RegistryView::ListConsortia(const rv1::ListConsortiaRequest& req) const {
  ASSIGN_OR_RETURN(Page page, PageOf(req.page(), Key("c/")));
  rv1::ListConsortiaResponse out;
  RETURN_IF_ERROR(ListRows<rv1::ConsortiumReply>(
      *store_, family_, Key("c/"), page, [&](rv1::ConsortiumReply r) { *out.add_consortia() = std::move(r); },
      out.mutable_page()));
  return out;
}

absl::StatusOr<rv1::ListWardsResponse> RegistryView::ListWards(const rv1::ListWardsRequest& req) const {
  RETURN_IF_ERROR(dreg::CheckId("institution_id", req.institution_id()));
  ASSIGN_OR_RETURN(auto inst, Institution(req.institution_id()));
  if (!inst) return absl::NotFoundError(absl::StrCat("institution \"", req.institution_id(), "\" is not registered"));
  const std::string prefix = Key(absl::StrCat("w/", req.institution_id(), "/"));
  ASSIGN_OR_RETURN(Page page, PageOf(req.page(), prefix));
  rv1::ListWardsResponse out;
  RETURN_IF_ERROR(ListRows<rv1::WardReply>(
      *store_, family_, prefix, page, [&](rv1::WardReply r) { *out.add_wards() = std::move(r); }, out.mutable_page()));
  return out;
}

absl::StatusOr<rv1::ListExpertSessionsResponse> RegistryView::ListSessions(
    const rv1::ListExpertSessionsRequest& req) const {
  RETURN_IF_ERROR(dreg::CheckId("institution_id", req.institution_id()));
  RETURN_IF_ERROR(common::CheckTimestamp(req.from(), "from"));
  RETURN_IF_ERROR(common::CheckTimestamp(req.to(), "to"));
  const std::string prefix = Key(absl::StrCat("sx/", req.institution_id(), "/"));
  ASSIGN_OR_RETURN(Page page, PageOf(req.page(), prefix));
  // Unset (or the epoch itself) is open.
  const int64_t from = common::UnixMs(req.from()), to = common::UnixMs(req.to());
  const std::string start = std::max(from > 0 ? prefix + StartKey(from) : prefix, page.ScanStart());
  const std::string end = to > 0 ? StartKey(to) : "";
  rv1::ListExpertSessionsResponse out;
  absl::Status failed;
  auto scanned = store_->Scan(family_, prefix, start, [&](std::string_view key, std::string_view) {
    const std::string rest(key.substr(prefix.size()));  // <start>/<session>
    if (rest.size() < kStartKeyLength + 2 || rest[kStartKeyLength] != '/') return true;
    if (!end.empty() && rest.substr(0, kStartKeyLength) >= end) return false;
    if (!page.Room(out.mutable_page())) return false;
    auto s = Session(rest.substr(kStartKeyLength + 1));
    if (!s.ok() || !*s) {
      failed = s.ok() ? absl::DataLossError(absl::StrCat("index ", rest, " has no session row")) : s.status();
      return false;
    }
    *out.add_sessions() = std::move(**s);
    page.Take(key);
    return true;
  });
  if (!scanned.ok()) return scanned.status();
  if (!failed.ok()) return failed;
  return out;
}

}  // namespace yilian::registry_model
