#include "board_queries.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "yilian/common/oneof_event.h"
#include "yilian/common/status_macros.h"
#include "yilian/common/timestamp.h"
#include "yilian/domain/greenchannel/access.h"
#include "yilian/domain/greenchannel/emergency_case.h"
#include "yilian/domain/limits/limits.h"
#include "yilian/host/call_deadline.h"
#include "yilian/privacy/identity.h"

namespace yilian::greenchannel {

namespace dgc = ::yilian::domain::greenchannel;
namespace gv1 = ::yilian::greenchannel::v1;

void BoardQueries::ShowIdentity(const common::Principal& who, gv1::CaseReply& reply) const {
  const auto& c = reply.emergency_case();
  if (!c.has_sealed_identity()) return;  // nothing recorded: the reply says nothing of it
  *reply.mutable_identity() =
      privacy::RevealIdentity(*vault_, c.patient(), c.sealed_identity(), dgc::MaySeeIdentity(who, c));
}

absl::StatusOr<gv1::CaseDetail> BoardQueries::GetCase(const common::Principal& who, const std::string& case_id) const {
  // The role first (docs/ROLES.md): a caller refused learns nothing from the request.
  RETURN_IF_ERROR(dgc::MayReachCases(who, /*read=*/true));
  RETURN_IF_ERROR(domain::limits::Reference("case_id", case_id));
  ASSIGN_OR_RETURN(auto row, view_->Case(case_id));
  if (!row) return absl::NotFoundError(absl::StrCat("no emergency case \"", case_id, "\""));
  RETURN_IF_ERROR(dgc::MayReachCase(who, row->emergency_case(), /*read=*/true));
  gv1::CaseDetail out;
  *out.mutable_current() = *std::move(row);
  YILIAN_SET_MS(*out.mutable_current(), hold_expires_at, view_->HoldExpiry(out.current().emergency_case()));
  ShowIdentity(who, *out.mutable_current());
  absl::Status bad;
  ASSIGN_OR_RETURN(auto n, journal_->ReadAggregate(dgc::kCase, case_id, 1, [&](const eventstore::JournalEntry& entry) {
    auto env = eventstore::ParseEnvelope(entry.envelope);
    if (!env.ok()) {
      bad = env.status();
      return false;
    }
    auto* t = out.add_timeline();
    t->set_aggregate_version(env->aggregate_version());
    t->set_event_type(env->event_type());
    YILIAN_SET_MS(*t, recorded_at, env->recorded_at().seconds() * 1000 + env->recorded_at().nanos() / 1000000);
    t->set_actor(env->actor().subject());
    if (auto s = common::UnpackOneof(*env, t->mutable_event()); !s.ok()) bad = s;
    return bad.ok();
  }));
  (void)n;
  RETURN_IF_ERROR(bad);
  return out;
}

absl::StatusOr<gv1::ListCasesResponse> BoardQueries::ListOpenCases(const common::Principal& who,
                                                                   const gv1::ListOpenCasesRequest& req) const {
  RETURN_IF_ERROR(dgc::MayListOpenCases(who, req.dispatch_centre()));
  RETURN_IF_ERROR(domain::limits::Reference("dispatch_centre", req.dispatch_centre()));
  const std::string listing = absl::StrCat("open/", req.dispatch_centre(), "/");  // tokens name the last case
  ASSIGN_OR_RETURN(auto page, registry_model::PageOf(req.page(), listing));
  const std::string after = page.after.empty() ? "" : page.after.substr(listing.size());
  gv1::ListCasesResponse out;
  RETURN_IF_ERROR(view_->ForEachOpenCase(req.dispatch_centre(), after, [&](const gv1::CaseReply& c) {
    if (!page.Room(out.mutable_page())) return false;
    auto* r = out.add_cases();
    *r = c;
    YILIAN_SET_MS(*r, hold_expires_at, view_->HoldExpiry(c.emergency_case()));
    ShowIdentity(who, *r);
    page.Take(listing + c.emergency_case().case_id());
    return true;
  }));
  return out;
}

absl::StatusOr<std::function<bool(const gv1::WardStatus&)>> BoardQueries::BoardFilter(
    const gv1::BedBoardRequest& req) const {
  RETURN_IF_ERROR(domain::limits::Reference("consortium_id", req.consortium_id(), /*required=*/false));
  RETURN_IF_ERROR(domain::limits::Reference("institution_id", req.institution_id(), /*required=*/false));
  std::set<std::string> members;
  if (!req.consortium_id().empty()) {
    ASSIGN_OR_RETURN(auto c, registry_->Consortium(req.consortium_id()));
    if (!c) return absl::NotFoundError(absl::StrCat("no consortium \"", req.consortium_id(), "\""));
    members.insert(c->consortium().member_ids().begin(), c->consortium().member_ids().end());
  }
  if (req.ward_kind() != registry::v1::WARD_KIND_UNSPECIFIED && !registry::v1::WardKind_IsValid(req.ward_kind()))
    return absl::InvalidArgumentError(absl::StrCat("unknown ward_kind ", req.ward_kind()));
  const bool by_consortium = !req.consortium_id().empty();
  return std::function<bool(const gv1::WardStatus&)>([members = std::move(members), by_consortium,
                                                      inst = req.institution_id(),
                                                      kind = req.ward_kind()](const gv1::WardStatus& w) {
    if (by_consortium && !members.count(w.board().institution_id())) return false;
    if (!inst.empty() && w.board().institution_id() != inst) return false;
    return kind == registry::v1::WARD_KIND_UNSPECIFIED || w.board().kind() == kind;
  });
}

absl::StatusOr<gv1::BedBoard> BoardQueries::GetBedBoard(const gv1::BedBoardRequest& req) const {
  ASSIGN_OR_RETURN(auto keep, BoardFilter(req));
  gv1::BedBoard out;
  out.set_as_of_sequence(journal_->head().sequence);
  RETURN_IF_ERROR(view_->ForEachWard(req.institution_id(), [&](const gv1::WardStatus& w) {
    if (keep(w)) *out.add_wards() = w;
    return true;
  }));
  return out;
}

absl::Status BoardQueries::WatchBedBoard(const gv1::BedBoardRequest& req, absl::Time deadline,
                                         absl::FunctionRef<bool()> cancelled,
                                         absl::FunctionRef<bool(const gv1::WardStatus&)> write) const {
  ASSIGN_OR_RETURN(auto keep, BoardFilter(req));
  // The head is taken before the snapshot: a change in between is sent twice, never missed.
  int64_t after = journal_->head().sequence;
  bool open = true;
  RETURN_IF_ERROR(view_->ForEachWard(req.institution_id(), [&](const gv1::WardStatus& w) {
    if (keep(w)) open = write(w);
    return open;
  }));
  while (open && !cancelled() && !stopping_) {
    RETURN_IF_ERROR(host::StreamDeadline(deadline));
    const int64_t head = journal_->WaitForHead(after, std::min(absl::Milliseconds(500), deadline - absl::Now()));
    if (head <= after) continue;
    ASSIGN_OR_RETURN(const auto changed, ChangedAggregates(*journal_, after, head, dgc::kWard));
    after = head;
    for (const auto& key : changed) {
      ASSIGN_OR_RETURN(auto w, view_->Ward(key));
      if (w && keep(*w) && !(open = write(*w))) break;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ChangedAggregates(const eventstore::Journal& journal, int64_t after,
                                                           int64_t head, const std::string& type) {
  std::vector<std::string> changed;
  std::set<std::string> seen;
  RETURN_IF_ERROR(journal
                      .Read(after + 1, head - after,
                            [&](const eventstore::JournalEntry& e) {
                              auto env = eventstore::ParseEnvelope(e.envelope);
                              if (env.ok() && env->aggregate_type() == type && seen.insert(env->aggregate_id()).second)
                                changed.push_back(env->aggregate_id());
                              return true;
                            })
                      .status());
  return changed;
}

absl::StatusOr<gv1::BedRequestReply> BoardQueries::GetBedRequest(const common::Principal& who,
                                                                 const std::string& request_id) const {
  RETURN_IF_ERROR(dgc::MayReadBedRequests(who));
  RETURN_IF_ERROR(domain::limits::Reference("request_id", request_id));
  ASSIGN_OR_RETURN(auto row, view_->Request(request_id));
  if (!row) return absl::NotFoundError(absl::StrCat("no bed request \"", request_id, "\""));
  RETURN_IF_ERROR(dgc::MayReadBedRequest(who, row->request().institution_id()));
  return *std::move(row);
}

absl::StatusOr<gv1::DoorToTreatmentReport> BoardQueries::DoorToTreatment(const common::Principal& who,
                                                                         const gv1::DoorToTreatmentRequest& req) const {
  RETURN_IF_ERROR(domain::limits::Reference("institution_id", req.institution_id(), /*required=*/false));
  ASSIGN_OR_RETURN(const std::string only, dgc::ClocksScope(who, req.institution_id()));
  if (common::UnixMs(req.to()) != 0 && common::UnixMs(req.to()) <= common::UnixMs(req.from()))
    return absl::InvalidArgumentError("to must be after from");
  dgc::TreatmentClocksTally tally;
  RETURN_IF_ERROR(view_->ForEachCase([&](const gv1::CaseReply& r) {
    const auto& c = r.emergency_case();
    if (!only.empty() && c.placement().institution_id() != only) return true;
    if (common::UnixMs(c.first_medical_contact_at()) < common::UnixMs(req.from()) ||
        (common::UnixMs(req.to()) != 0 && common::UnixMs(c.first_medical_contact_at()) >= common::UnixMs(req.to())))
      return true;
    tally.Add(c);
    return true;
  }));
  gv1::DoorToTreatmentReport out;
  for (auto& row : tally.Rows()) *out.add_rows() = std::move(row);
  return out;
}

}  // namespace yilian::greenchannel
