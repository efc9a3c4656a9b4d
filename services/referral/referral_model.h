#pragma once
// The referral service's read model, folded from its own journal by the domain core's Evolve
// (append and rebuild alike), in the `projection` family:
//
//   r/<referral>                                      ReferralReply (state + version)
//   in/<receiver>\0<status 2d>\0<9-priority>\0<submitted BE u64>\0<referral>   incoming worklist (not drafts)
//   out/<sender>\0<status 2d>\0<9-priority>\0<submitted BE u64>\0<referral>    outgoing worklist
//   t/<due ms BE u64><referral>                       the next deadline timer of a live referral
//   e/<institution>\0<9-level>\0<9-priority>\0<submitted BE u64>\0<referral>    escalation queue (unanswered)
//   p/<patient>\0<submitted BE u64>\0<referral>       one patient's referrals
//   s/<session>                                       SessionBookings (bookings + version)
//
// ReferralProjector is called by the journal; ReferralView reads committed rows. Thread-safe.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "yilian/eventstore/projection.h"
#include "yilian/eventstore/store.h"
#include "yilian/referral/v1/referral_service.pb.h"
#include "yilian/registry_model/registry_model.h"

namespace yilian::referral {
class ReferralProjector : public eventstore::Projector {
 public:
  absl::Status Apply(const events::v1::Envelope& event, eventstore::ProjectionBatch& rows) override;
};

class ReferralView {
 public:
  explicit ReferralView(const eventstore::Store* store) : store_(store) {}

  absl::StatusOr<std::optional<v1::ReferralReply>> Referral(const std::string& id) const;
  absl::StatusOr<v1::SessionBookings> Bookings(const std::string& session_id) const;
  // A page of a worklist ("in", "out", "e": the escalation queue, or "p": a patient's, whatever
  // `status`; then `institution_id` is the patient reference) of one institution, optionally one
  // status, and only the referrals `keep` keeps (null: all).
  using Keep = std::function<bool(const v1::Referral&)>;
  absl::StatusOr<v1::ListWorklistResponse> Worklist(const std::string& list, const std::string& institution_id,
                                                    v1::Status status, const common::v1::PageRequest& page,
                                                    const Keep& keep = nullptr) const;
  // Referrals whose next timer is due at `now` (at most `max`).
  absl::StatusOr<std::vector<std::string>> Due(absl::Time now, size_t max) const;

 private:
  const eventstore::Store* store_;
};

}  // namespace yilian::referral
