#pragma once
// The referral rules that take more than one step: what a caller's submission becomes, the
// commands that end one referral and open the next (a completion that hands the patient down
// to primary care, a redirect to another receiver), and the two ways to schedule (a time for
// an examination or tele-consultation, a slot of an expert session). Like the core's other
// commands they take the referral as loaded (NOT_FOUND when there is none). Pure; thread-safe.

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "yilian/common/principal.h"
#include "yilian/domain/referral/referral.h"
#include "yilian/domain/referral/slots.h"

namespace yilian::domain::referral {

// What a caller's submission becomes: the sender defaults to the caller's institution and the
// caller as clinician, the id to `default_id`; a sealed identity in the request is dropped
// (only what the service seals itself is stored). PERMISSION_DENIED when the caller acts for
// another institution than the draft's sender.
absl::StatusOr<::yilian::referral::v1::Referral> SubmissionDraft(::yilian::referral::v1::Referral draft,
                                                                 const common::Principal& caller,
                                                                 const std::string& default_id);

// A command on one referral that also opens another.
struct FollowUp {
  Events events;  // on the referral the command names
  Events next;    // the referral it opens (submitted), empty when none
};

// Completes `r` and, with `downward`, submits the referral that continues the patient's care
// at a lower tier, in one decision. The downward referral is "<id>.down", sent by `r`'s
// receiver (`clinician` as sender clinician) for the same patient (and sealed identity),
// linked from `r`; what `downward` leaves out defaults to ROUTINE priority, the reason
// "continuing care after referral <id>" and `r`'s diagnosis codes. Its refusals are prefixed
// "downward referral: ".
absl::StatusOr<FollowUp> CompleteAndHandOver(const std::optional<::yilian::referral::v1::Referral>& r, Side side,
                                             const std::string& outcome_summary,
                                             const std::optional<::yilian::referral::v1::Referral>& downward,
                                             const std::string& clinician, const Directory& directory, absl::Time now,
                                             const Deadlines& deadlines);

// Ends `r` as redirected and submits the same request afresh as "<id>.redir" (linked from
// `r`), to `to_institution_id` or routed by `to_capability` (exactly one of them). The new
// referral starts over: no state, deadlines, schedule, answers or links of the old one. Its
// refusals are prefixed "redirected referral: ".
absl::StatusOr<FollowUp> RedirectAndResubmit(const std::optional<::yilian::referral::v1::Referral>& r, Side side,
                                             const std::string& to_institution_id,
                                             ::yilian::registry::v1::Capability to_capability,
                                             const std::string& reason, const Directory& directory, absl::Time now,
                                             const Deadlines& deadlines);

// Schedules an examination or tele-consultation at `at_ms`. INVALID_ARGUMENT for the other
// services (an expert outpatient referral books a session, an inpatient one asks a bed) and
// for a time not in the future.
absl::StatusOr<Events> ScheduleAt(const std::optional<::yilian::referral::v1::Referral>& r, Side side, int64_t at_ms,
                                  absl::Time now);

// Schedules `r` at the start of an expert session and books one of its slots for it
// (reserved for the sender first; `signed_resident`: the patient is one of the sender's
// residents). The session's bookings must be the latest, under the session's lock.
struct SessionBooking {
  Events events;                                // the referral scheduled
  ::yilian::referral::v1::SessionEvent booked;  // the slot taken
};
absl::StatusOr<SessionBooking> BookExpertSession(const std::optional<::yilian::referral::v1::Referral>& r, Side side,
                                                 const ::yilian::registry::v1::ExpertSession& session,
                                                 const ::yilian::referral::v1::SessionBookings& bookings,
                                                 bool signed_resident, absl::Time now, const SlotPolicy& policy,
                                                 const std::optional<std::string>& rescheduling = std::nullopt);

}  // namespace yilian::domain::referral
