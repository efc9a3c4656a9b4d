#include "worklist_watch.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "yilian/common/oneof_event.h"
#include "yilian/common/problem.h"
#include "yilian/common/status_macros.h"
#include "yilian/domain/limits/limits.h"
#include "yilian/domain/referral/access.h"
#include "yilian/domain/referral/worklist.h"
#include "yilian/host/call_deadline.h"

namespace yilian::referral {

namespace fv1 = ::yilian::referral::v1;
namespace dref = ::yilian::domain::referral;

namespace {

constexpr size_t kMaxFolded = 4096;  // referrals a watch keeps folded between entries
constexpr int kPageTries = 3;

struct Folded {
  int64_t version = 0;
  std::optional<fv1::Referral> state;
};

}  // namespace

fv1::ReferralReply WorklistWatcher::Shown(fv1::Referral referral, int64_t version) const {
  fv1::ReferralReply r;
  *r.mutable_referral() = std::move(referral);
  r.set_version(version);
  (*shape_)(r);
  r.clear_identity();  // a watch shows no identity; GetReferral does, on record
  return r;
}

absl::StatusOr<WorklistWatcher::Selects> WorklistWatcher::Scope(const common::Principal& who,
                                                                const fv1::WatchWorklistRequest& req) const {
  RETURN_IF_ERROR(dref::CheckFilter(req.filter()));
  if (req.resume_after() < 0) return common::InvalidField("resume_after", "resume_after is a position (>= 0)");
  if (req.resume_after() > journal_->head().sequence)
    return common::InvalidField("resume_after", "resume_after is past the journal's head");
  RETURN_IF_ERROR(dref::NotSuspended(who, *directory_));
  const fv1::WorklistFilter filter = req.filter();
  if (!req.referral_id().empty()) {
    RETURN_IF_ERROR(domain::limits::Reference("referral_id", req.referral_id()));
    ASSIGN_OR_RETURN(auto row, view_->Referral(req.referral_id()));
    if (!row) return absl::NotFoundError(absl::StrCat("no referral ", req.referral_id()));
    RETURN_IF_ERROR(dref::SideOf(who, row->referral(), *directory_).status());
    return Selects([id = req.referral_id(), filter](const fv1::Referral& r) {
      return r.referral_id() == id && dref::Matches(r, filter);
    });
  }
  const auto side = req.side();
  if (side != fv1::INCOMING && side != fv1::OUTGOING && side != fv1::ESCALATED)
    return common::InvalidField("side", "side is INCOMING, OUTGOING or ESCALATED (or give a referral_id)");
  return Selects([side, inst = who.institution_id, filter](const fv1::Referral& r) {
    const bool mine = side == fv1::INCOMING   ? r.receiver_institution_id() == inst && r.status() != fv1::DRAFT
                      : side == fv1::OUTGOING ? r.sender_institution_id() == inst
                                              : r.escalated_to_institution_id() == inst && dref::InEscalationQueue(r);
    return mine && dref::Matches(r, filter);
  });
}

absl::StatusOr<bool> WorklistWatcher::Page(const common::Principal& who, const fv1::WatchWorklistRequest& req,
                                           const Selects& selects,
                                           absl::FunctionRef<bool(const fv1::WorklistChange&)> write,
                                           int64_t* position) const {
  // The rows between two looks at the head; with a commit in between, the earlier head.
  std::vector<fv1::ReferralReply> rows;
  int64_t before = 0;
  for (int attempt = 0; attempt < kPageTries; ++attempt) {
    rows.clear();
    before = journal_->head().sequence;
    if (!req.referral_id().empty()) {
      ASSIGN_OR_RETURN(auto row, view_->Referral(req.referral_id()));
      if (row && selects(row->referral())) rows.push_back(*std::move(row));
    } else {
      common::v1::PageRequest page;
      page.set_page_size(500);
      do {
        const char* list = req.side() == fv1::INCOMING ? "in" : req.side() == fv1::OUTGOING ? "out" : "e";
        ASSIGN_OR_RETURN(auto got, view_->Worklist(list, who.institution_id, fv1::STATUS_UNSPECIFIED, page));
        for (auto& r : *got.mutable_referrals())
          if (selects(r.referral())) rows.push_back(std::move(r));
        page.set_page_token(got.page().next_page_token());
      } while (!page.page_token().empty());
    }
    if (journal_->head().sequence == before) break;
  }
  *position = before;
  for (auto& r : rows) {
    fv1::WorklistChange c;
    c.set_position(before);
    c.set_in_list(true);
    *c.mutable_referral() = Shown(std::move(*r.mutable_referral()), r.version());
    if (!write(c)) return false;
  }
  fv1::WorklistChange synced;
  synced.set_position(before);
  synced.set_synced(true);
  return write(synced);
}

absl::Status WorklistWatcher::Watch(const common::Principal& who, const fv1::WatchWorklistRequest& req,
                                    absl::Time deadline, absl::FunctionRef<bool()> cancelled,
                                    absl::FunctionRef<bool(const fv1::WorklistChange&)> write) const {
  ASSIGN_OR_RETURN(const Selects selects, Scope(who, req));
  int64_t after = req.resume_after();
  if (!req.has_resume_after()) {
    ASSIGN_OR_RETURN(const bool open, Page(who, req, selects, write, &after));
    if (!open) return absl::OkStatus();
  }
  std::map<std::string, Folded> folded;
  // The referral just before `version` (folded from the journal when not kept).
  auto before = [&](const std::string& id, int64_t version) -> absl::StatusOr<std::optional<fv1::Referral>> {
    auto it = folded.find(id);
    if (it != folded.end() && it->second.version == version - 1) return it->second.state;
    std::optional<fv1::Referral> state;
    absl::Status failed;
    RETURN_IF_ERROR(journal_
                        ->ReadAggregate(dref::kReferral, id, 1,
                                        [&](const eventstore::JournalEntry& e) {
                                          auto env = eventstore::ParseEnvelope(e.envelope);
                                          if (!env.ok()) return (failed = env.status()).ok();
                                          if (env->aggregate_version() >= version) return false;
                                          fv1::ReferralEvent event;
                                          if (auto s = common::UnpackOneof(*env, &event); !s.ok())
                                            return (failed = s).ok();
                                          return (failed = dref::Evolve(state, event)).ok();
                                        })
                        .status());
    RETURN_IF_ERROR(failed);
    return state;
  };
  while (!cancelled() && !stopping_) {
    RETURN_IF_ERROR(host::StreamDeadline(deadline));
    RETURN_IF_ERROR(dref::NotSuspended(who, *directory_));
    const int64_t head = journal_->WaitForHead(after, std::min(absl::Milliseconds(500), deadline - absl::Now()));
    if (head <= after) continue;
    absl::Status failed;
    bool open = true;
    RETURN_IF_ERROR(journal_
                        ->Read(after + 1, head - after,
                               [&](const eventstore::JournalEntry& e) {
                                 after = e.sequence;
                                 auto env = eventstore::ParseEnvelope(e.envelope);
                                 if (!env.ok()) return (failed = env.status()).ok();
                                 if (env->aggregate_type() != dref::kReferral) return true;
                                 if (!req.referral_id().empty()) {
                                   if (env->aggregate_id() != req.referral_id()) return true;
                                 } else if (req.side() != fv1::ESCALATED) {  // a list: the institution's own only
                                   const auto& ids = env->institution_ids();
                                   if (std::find(ids.begin(), ids.end(), who.institution_id) == ids.end()) return true;
                                 }
                                 auto prior = before(env->aggregate_id(), env->aggregate_version());
                                 if (!prior.ok()) return (failed = prior.status()).ok();
                                 fv1::ReferralEvent event;
                                 if (auto s = common::UnpackOneof(*env, &event); !s.ok()) return (failed = s).ok();
                                 std::optional<fv1::Referral> state = *prior;
                                 const bool was = state && selects(*state);
                                 if (auto s = dref::Evolve(state, event); !s.ok()) return (failed = s).ok();
                                 if (folded.size() >= kMaxFolded) folded.clear();
                                 folded[env->aggregate_id()] = Folded{env->aggregate_version(), state};
                                 const bool is = selects(*state);
                                 if (!was && !is) return true;
                                 fv1::WorklistChange c;
                                 c.set_position(e.sequence);
                                 c.set_event_type(env->event_type().substr(env->event_type().rfind('.') + 1));
                                 c.set_in_list(is);
                                 *c.mutable_referral() = Shown(*state, env->aggregate_version());
                                 return open = write(c);
                               })
                        .status());
    RETURN_IF_ERROR(failed);
    if (!open) break;
  }
  return absl::OkStatus();
}

}  // namespace yilian::referral
