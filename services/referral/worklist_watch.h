#pragma once
// WatchWorklist: a worklist (or one referral) as it is, then every change to it, from the
// journal. Each change is one journal entry of a referral the watch selects (the caller's
// institution on the watched side, the filter), with the referral as that entry left it: folded
// from the journal, so a change that comes after another shows the state between them, and a
// resumed watch (`resume_after`) gets exactly the entries after the position it names. A
// change that takes a referral out of the filter comes once more with `in_list` false.
//
// The current page is read between two looks at the journal's head; when a commit falls in
// between (three tries), its position is the earlier head, so a change may show again as a
// change, never be missed. Identities are not sent. Thread-safe; borrows all parts.

#include <functional>

#include "absl/functional/function_ref.h"
#include "directory.h"
#include "referral_model.h"
#include "reply_shape.h"
#include "yilian/common/principal.h"
#include "yilian/eventstore/journal.h"

namespace yilian::referral {

class WorklistWatcher {
 public:
  WorklistWatcher(const eventstore::Journal* journal, const ReferralView* view, const MirrorDirectory* directory,
                  const ReplyShape* shape)
      : journal_(journal), view_(view), directory_(directory), shape_(shape) {}
  // Ends open watches (before the server shuts down).
  void Stop() { stopping_ = true; }

  // Writes until `write` fails, `cancelled` says so, `deadline` passes (DEADLINE_EXCEEDED), the
  // service stops, or the caller's institution is suspended (PERMISSION_DENIED).
  absl::Status Watch(const common::Principal& who, const v1::WatchWorklistRequest& req, absl::Time deadline,
                     absl::FunctionRef<bool()> cancelled,
                     absl::FunctionRef<bool(const v1::WorklistChange&)> write) const;

 private:
  using Selects = std::function<bool(const v1::Referral&)>;
  absl::StatusOr<Selects> Scope(const common::Principal& who, const v1::WatchWorklistRequest& req) const;
  // The current page at a position; false when `write` stopped.
  absl::StatusOr<bool> Page(const common::Principal& who, const v1::WatchWorklistRequest& req, const Selects& selects,
                            absl::FunctionRef<bool(const v1::WorklistChange&)> write, int64_t* position) const;
  v1::ReferralReply Shown(v1::Referral referral, int64_t version) const;

  const eventstore::Journal* journal_;
  const ReferralView* view_;
  const MirrorDirectory* directory_;
  const ReplyShape* shape_;
  std::atomic<bool> stopping_{false};
};

}  // namespace yilian::referral
