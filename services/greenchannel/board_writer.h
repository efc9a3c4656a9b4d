#pragma once
// The green channel's one write path: every change to a ward's beds, an emergency case or a
// referral bed request is decided by the domain cores on fresh state and appended to the
// journal in one atomic transaction (case + ward(s), or bed request + ward), so no bed is
// ever promised twice and no hold is left without its owner.
//
// A ward's decision runs under that ward's lock (striped), on the ward's latest state: the
// live board, kept in memory (loaded from the projection once, then moved forward by every
// append as it is queued), which placement also reads its free beds from.
// A case open releases the lock as soon as its append is queued, so opens on one ward are
// pipelined into shared group commits instead of waiting one fsync each; its reply still
// waits until the append is durable. If an append fails, the overlay is dropped and the
// appends queued behind it fail on their expected version (ABORTED) and are decided again.
//
// Thread-safe. Borrows the journal, views, sites and clock.

#include <array>
#include <condition_variable>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <set>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "board_model.h"
#include "sites.h"
#include "yilian/common/clock.h"
#include "yilian/common/oneof_event.h"
#include "yilian/domain/greenchannel/bed_board.h"
#include "yilian/domain/greenchannel/emergency_case.h"
#include "yilian/common/principal.h"
#include "yilian/eventstore/journal.h"
#include "yilian/referral/v1/beds.pb.h"
#include "yilian/registry/v1/registry.pb.h"

namespace yilian::greenchannel {

struct WriterOptions {
  domain::greenchannel::PlacementOptions placement;
  absl::Duration emergency_hold = absl::Minutes(60);  // until the patient should have arrived
  absl::Duration referral_hold = absl::Hours(24);     // when a bed request names no admission time
  int max_attempts = 16;                              // re-placements when the board moved meanwhile
};

// Who asks, and the idempotency of the asking.
struct Call {
  common::Principal actor;
  std::string correlation_id;
  std::string idempotency_key;  // "" = none
  std::string request_hash;     // with a key
  std::string causation_id;
};

class BoardWriter {
 public:
  BoardWriter(eventstore::Journal* journal, const BoardView* view, const SiteDirectory* sites, common::Clock* clock,
              WriterOptions options)
      : journal_(journal), view_(view), sites_(sites), clock_(clock), options_(options) {}

  // ---- emergency cases (the API) ----
  // The case id derives from the call's idempotency key, which is required.
  // `sealed`: the request's identity, sealed by the service (nullopt: none given).
  absl::StatusOr<gv1::CaseReply> OpenCase(const Call& call, const gv1::OpenCaseRequest& req,
                                          const std::optional<common::v1::SealedIdentity>& sealed = std::nullopt);
  // Re-places a case that is still on its way. With `hold_expired` the old hold is recorded
  // as expired (the timer) rather than released, and the same hospital may be chosen again.
  absl::StatusOr<gv1::CaseReply> RedirectCase(const Call& call, const std::string& case_id, int64_t expected_version,
                                              const std::string& reason, bool hold_expired = false);
  // ARRIVAL turns the case's hold into an admission.
  absl::StatusOr<gv1::CaseReply> RecordMilestone(const Call& call, const gv1::RecordMilestoneRequest& req);
  // Releases a hold still waiting for the patient.
  absl::StatusOr<gv1::CaseReply> CloseCase(const Call& call, const gv1::CloseCaseRequest& req);
  absl::StatusOr<gv1::WardStatus> Discharge(const Call& call, const gv1::DischargeRequest& req);

  // ---- what the bus brings ----
  absl::Status SetCapacity(const Call& call, const registry::v1::Ward& ward);
  absl::Status AnswerBedRequest(const Call& call, const referral::v1::BedRequested& req);
  absl::Status CancelBedRequest(const Call& call, const referral::v1::BedRequestCancelled& req);
  absl::Status AdmitReferral(const Call& call, const referral::v1::ReferredPatientAdmitted& req);

  // ---- the expiry timer ----
  // Expires one hold if it is still there and due: an emergency case is re-placed, a
  // referral's request is released.
  absl::Status ExpireHold(const DueHold& due);

  // The first answer to this call's key, parsed into `out`; false when the key is unused.
  // ALREADY_EXISTS when the key answered a different request.
  absl::StatusOr<bool> Answered(const Call& call, google::protobuf::Message* out) const;

  int64_t NowMs() const { return absl::ToUnixMillis(clock_->Now()); }
  const common::Principal& system() const { return system_; }

 private:
  // One aggregate's share of a transaction.
  struct Part {
    const char* type;
    std::string id;
    int64_t version = 0;  // current version (0 = new)
    std::vector<events::v1::Envelope> events;
  };
  template <typename Wrapper>
  static void Add(Part& part, const std::vector<Wrapper>& events, const std::vector<std::string>& institutions);
  // An append on its way: the wards it changes and its result when durable.
  struct Queued {
    std::vector<std::string> wards;
    std::shared_ptr<std::promise<absl::StatusOr<std::vector<eventstore::AppendResult>>>> done;
  };
  // Queues the parts as one atomic append (the first carries the call's idempotency and
  // `response`) and moves the overlay of every ward part forward. The caller holds the
  // locks of those wards.
  absl::StatusOr<Queued> Enqueue(const Call& call, std::vector<Part> parts, const std::string& response);
  // Waits for a queued append. If it failed (or was answered as a duplicate, so its ward
  // changes were not written) its wards are marked stale: the next decision on them waits
  // until nothing is in flight for them and reloads them from the projection.
  absl::StatusOr<std::vector<eventstore::AppendResult>> Await(Queued queued);
  // Enqueue, then `unlock` (the caller's ward locks: the next decision on those wards already
  // sees this append), then Await. Without `unlock` the locks are held throughout.
  absl::StatusOr<std::vector<eventstore::AppendResult>> Commit(const Call& call, std::vector<Part> parts,
                                                               const std::string& response,
                                                               const std::function<void()>& unlock = nullptr);
  // Sites for placement, with their wards' free beds from the live board.
  absl::StatusOr<std::vector<domain::greenchannel::Site>> SitesFor(const std::string& consortium_id,
                                                                   const std::set<std::string>& exclude = {}) const;
  // The ward as decisions must see it (the live board). Caller holds its lock.
  absl::StatusOr<std::optional<gv1::WardStatus>> LoadWard(const std::string& key) const;
  std::mutex& LockOf(const std::string& ward_key) const;
  // The answer a concurrent copy of this call is about to get (waits for its commit).
  absl::StatusOr<gv1::CaseReply> AwaitAnswer(const Call& call) const;
  // A change to one case, and to its held bed when the hold is still on its ward (null
  // `held_bed`: the bed is not touched). Ward conflicts are decided again.
  using DecideCase = std::function<absl::StatusOr<domain::greenchannel::CaseEvents>(const gv1::EmergencyCase&)>;
  using DecideHeldBed = std::function<absl::StatusOr<domain::greenchannel::BoardEvents>(
      const std::optional<gv1::WardBoard>&, const gv1::EmergencyCase&)>;
  absl::StatusOr<gv1::CaseReply> CaseChange(const Call& call, const std::string& case_id, int64_t expected_version,
                                            const DecideCase& decide, const DecideHeldBed& held_bed);
  absl::StatusOr<gv1::WardStatus> DischargeOnce(const Call& call, const gv1::DischargeRequest& req);
  absl::StatusOr<gv1::CaseReply> LoadCase(const std::string& case_id, int64_t expected_version) const;
  // The bed held for a case's n-th placement ("<case>#<n>"), for the configured time.
  gv1::BedHold EmergencyHold(const std::string& case_id, int64_t n, int64_t now_ms) const;
  gv1::CaseReply ReplyOf(const gv1::EmergencyCase& c, int64_t version, int64_t hold_expires_at_ms) const;
  absl::Status ReleaseRequestHold(const Call& call, const gv1::BedRequestReply& request, const std::string& reason,
                                  bool expired);

  eventstore::Journal* journal_;
  const BoardView* view_;
  const SiteDirectory* sites_;
  common::Clock* clock_;
  WriterOptions options_;
  common::Principal system_{"greenchannel", "", common::Role::ROLE_SERVICE};
  mutable std::array<std::mutex, 64> locks_;
  // The live board: every ward as the appends queued so far leave it.
  struct LiveWard {
    gv1::WardStatus status;
    int in_flight = 0;   // appends queued and not yet answered
    bool stale = false;  // an append failed: reload once nothing is in flight
  };
  absl::Status LoadBoard() const;  // once, with overlay_mu_ held
  mutable std::mutex overlay_mu_;
  mutable std::condition_variable overlay_cv_;  // an in-flight append was answered
  mutable bool loaded_ = false;                          // guarded by overlay_mu_
  mutable std::map<std::string, LiveWard> overlay_;     // guarded by overlay_mu_; status changes only under the ward's lock
};

template <typename Wrapper>
void BoardWriter::Add(Part& part, const std::vector<Wrapper>& events, const std::vector<std::string>& institutions) {
  for (const auto& e : events) {
    auto env = common::EnvelopeOf(e);
    for (const auto& i : institutions)
      if (!i.empty()) env.add_institution_ids(i);
    part.events.push_back(std::move(env));
  }
}

}  // namespace yilian::greenchannel
