#pragma once
// The referral service's reads, for a caller already authenticated as one who works
// referrals: a referral with its timeline (sender, receiver or their lead hospital only), an
// institution's worklists, and the expert sessions a sender may book. Answers come from the
// ReferralView and the journal, shaped like every command's answer. Thread-safe; borrows all.

#include "directory.h"
#include "referral_model.h"
#include "reply_shape.h"
#include "yilian/common/clock.h"
#include "yilian/common/principal.h"
#include "yilian/domain/referral/slots.h"
#include "yilian/eventstore/journal.h"

namespace yilian::referral {

class ReferralQueries {
 public:
  ReferralQueries(const ReferralView* view, const eventstore::Journal* journal, const MirrorDirectory* directory,
                  const ReplyShape* shape, common::Clock* clock, domain::referral::SlotPolicy slots)
      : view_(view), journal_(journal), directory_(directory), shape_(shape), clock_(clock), slots_(slots) {}

  // With `with_versions`, also the referral as each version left it (GetReferralRequest).
  absl::StatusOr<v1::GetReferralResponse> Get(const common::Principal& who, const std::string& referral_id,
                                              bool with_versions = false) const;
  // `list`: "in" (incoming) or "out" (outgoing); the caller's own institution only.
  absl::StatusOr<v1::ListWorklistResponse> Worklist(const common::Principal& who, const v1::ListWorklistRequest& req,
                                                    const char* list) const;
  // The caller's institution's escalation queue.
  absl::StatusOr<v1::ListWorklistResponse> Escalated(const common::Principal& who,
                                                     const v1::ListEscalatedRequest& req) const;
  // One patient's referrals the caller has a side of.
  absl::StatusOr<v1::ListWorklistResponse> Patient(const common::Principal& who,
                                                   const v1::ListPatientReferralsRequest& req) const;
  absl::StatusOr<v1::ListAvailableSlotsResponse> Slots(const common::Principal& who,
                                                       const v1::ListAvailableSlotsRequest& req) const;

 private:
  const ReferralView* view_;
  const eventstore::Journal* journal_;
  const MirrorDirectory* directory_;
  const ReplyShape* shape_;
  common::Clock* clock_;
  domain::referral::SlotPolicy slots_;
};

}  // namespace yilian::referral
