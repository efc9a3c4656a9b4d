#include "inbound_queries.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "yilian/common/problem.h"
#include "yilian/common/status_macros.h"
#include "yilian/common/timestamp.h"
#include "yilian/domain/greenchannel/access.h"
#include "yilian/domain/greenchannel/emergency_case.h"
#include "yilian/domain/limits/limits.h"
#include "yilian/host/call_deadline.h"
#include "yilian/registry_model/registry_model.h"

namespace yilian::greenchannel {

namespace gv1 = ::yilian::greenchannel::v1;
namespace dgc = ::yilian::domain::greenchannel;

namespace {

// Most severe first, then the soonest, then the case id: as a key for paging.
std::string SortKey(const gv1::CaseReply& c) {
  return absl::StrCat(c.emergency_case().severity(), "/",
                      eventstore::EncodeU64(static_cast<uint64_t>(common::UnixMs(c.eta()))), "/",
                      c.emergency_case().case_id());
}

// Why a case no longer comes to `institution`.
std::string WhyNotInbound(const gv1::EmergencyCase& c, const std::string& institution) {
  if (c.status() == gv1::CLOSED) return absl::StrCat("closed: ", c.outcome());
  if (c.placement().institution_id() != institution)
    return absl::StrCat("redirected to ", c.placement().institution_id());
  return c.status() == gv1::ADMITTED ? "admitted" : "arrived";
}

}  // namespace

absl::StatusOr<std::string> InboundQueries::InstitutionOf(const common::Principal& who,
                                                          const std::string& asked) const {
  RETURN_IF_ERROR(domain::limits::Reference("institution_id", asked, /*required=*/false));
  const std::string inst = asked.empty() ? who.institution_id : asked;
  RETURN_IF_ERROR(dgc::MayListInbound(who, inst));  // the role first
  if (inst.empty()) return common::InvalidField("institution_id", "institution_id is required for this caller");
  return inst;
}

gv1::CaseReply InboundQueries::Shown(gv1::CaseReply c) const {
  YILIAN_SET_MS(c, hold_expires_at, view_->HoldExpiry(c.emergency_case()));
  return c;
}

absl::StatusOr<gv1::ListCasesResponse> InboundQueries::List(const common::Principal& who,
                                                            const gv1::ListInboundCasesRequest& req) const {
  ASSIGN_OR_RETURN(const std::string inst, InstitutionOf(who, req.institution_id()));
  const std::string listing = absl::StrCat("inbound/", inst, "/");
  ASSIGN_OR_RETURN(auto page, registry_model::PageOf(req.page(), listing));
  std::map<std::string, gv1::CaseReply> sorted;
  RETURN_IF_ERROR(view_->ForEachInboundCase(inst, [&](const gv1::CaseReply& c) {
    const std::string key = listing + SortKey(c);
    if (page.after.empty() || key > page.after) sorted.emplace(key, c);
    return true;
  }));
  gv1::ListCasesResponse out;
  for (auto& [key, c] : sorted) {
    if (!page.Room(out.mutable_page())) break;
    auto* r = out.add_cases();
    *r = Shown(std::move(c));
    board_->ShowIdentity(who, *r);
    page.Take(key);
  }
  return out;
}

absl::Status InboundQueries::Watch(const common::Principal& who, const gv1::WatchInboundCasesRequest& req,
                                   absl::Time deadline, absl::FunctionRef<bool()> cancelled,
                                   absl::FunctionRef<bool(const gv1::InboundCaseChange&)> write) const {
  ASSIGN_OR_RETURN(const std::string inst, InstitutionOf(who, req.institution_id()));
  // The head first: a change in between is sent twice, never missed.
  int64_t after = journal_->head().sequence;
  std::map<std::string, int64_t> coming;  // case -> version sent
  bool open = true;
  RETURN_IF_ERROR(view_->ForEachInboundCase(inst, [&](const gv1::CaseReply& c) {
    gv1::InboundCaseChange m;
    *m.mutable_emergency_case() = Shown(c);
    m.set_inbound(true);
    m.set_position(after);
    coming[c.emergency_case().case_id()] = c.version();
    return open = write(m);
  }));
  if (!open) return absl::OkStatus();
  gv1::InboundCaseChange synced;
  synced.set_synced(true);
  synced.set_position(after);
  if (!write(synced)) return absl::OkStatus();
  while (open && !cancelled() && !stopping_) {
    RETURN_IF_ERROR(host::StreamDeadline(deadline));
    const int64_t head = journal_->WaitForHead(after, std::min(absl::Milliseconds(500), deadline - absl::Now()));
    if (head <= after) continue;
    ASSIGN_OR_RETURN(const auto changed, ChangedAggregates(*journal_, after, head, dgc::kCase));
    after = head;
    for (const auto& id : changed) {
      ASSIGN_OR_RETURN(auto row, view_->Case(id));
      if (!row) continue;
      const bool now_coming = dgc::InboundTo(row->emergency_case(), inst);
      auto was = coming.find(id);
      if (!now_coming && was == coming.end()) continue;                                  // neither before nor now
      if (now_coming && was != coming.end() && was->second >= row->version()) continue;  // sent already
      gv1::InboundCaseChange m;
      *m.mutable_emergency_case() = Shown(*row);
      m.set_inbound(now_coming);
      m.set_position(head);
      if (now_coming) {
        coming[id] = row->version();
      } else {
        m.set_reason(WhyNotInbound(row->emergency_case(), inst));
        coming.erase(was);
      }
      if (!(open = write(m))) break;
    }
  }
  return absl::OkStatus();
}

}  // namespace yilian::greenchannel
