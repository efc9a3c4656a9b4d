#pragma once
// Expert clinic slots reserved for primary care (DOMAIN.md "Expert slots"), as pure
// functions over one session (from the registry) and its bookings (aggregate
// "expert_session" of the referral service):
//
// - a session has slot_count slots; reserved[X] of them are kept for primary-care centre X;
//   only a referral sent by X books X's reserved slots, the rest is the general pool;
// - signed residents of X come first: until `resident_priority` before the release cut-off
//   (or before the session starts, when it has no cut-off),
//   X's reserved slots go only to referrals for X's signed residents; then to any referral
//   from X;
// - at the cut-off, unbooked reserved slots fall into the general pool;
// - a referral holds at most one slot of a session, and a slot is never booked twice (the
//   service appends bookings with the session's expected version).
// Thread-safe.

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "yilian/referral/v1/referral.pb.h"
#include "yilian/registry/v1/registry.pb.h"

namespace yilian::domain::referral {

inline constexpr char kExpertSession[] = "expert_session";

struct SlotPolicy {
  absl::Duration resident_priority = absl::Hours(24);
};

// When the session starts: its date in China time (UTC+8), 08:00 for MORNING, 14:00 for
// AFTERNOON.
absl::Time SessionStart(const ::yilian::registry::v1::ExpertSession& session);

// What `sender` may book now (`signed_resident`: the patient is one of the sender's residents).
::yilian::referral::v1::SlotAvailability Availability(const ::yilian::registry::v1::ExpertSession& session,
                                                      const ::yilian::referral::v1::SessionBookings& bookings,
                                                      const std::string& sender, bool signed_resident, absl::Time now,
                                                      const SlotPolicy& policy = {});

// Books a slot of `session` for `referral` (reserved first, else general). FAILED_PRECONDITION
// when the session is cancelled, past, at another hospital than the receiver, or full for this
// sender; ALREADY_EXISTS when the referral holds a slot of it already.
absl::StatusOr<::yilian::referral::v1::SessionEvent> BookSlot(const ::yilian::registry::v1::ExpertSession& session,
                                                              const ::yilian::referral::v1::SessionBookings& bookings,
                                                              const ::yilian::referral::v1::Referral& referral,
                                                              bool signed_resident, absl::Time now,
                                                              const SlotPolicy& policy = {});

// The expert session whose slot `referral` holds ("" when none): booked (READY) or used (the
// patient came: IN_PROGRESS, ON_HOLD, COMPLETED), in a session that was not cancelled. A
// command that leaves a referral without it frees the slot.
std::string HeldSession(const ::yilian::referral::v1::Referral& referral);

// Frees the referral's slot (cancelled, failed or redirected); nullopt when it holds none.
std::optional<::yilian::referral::v1::SessionEvent> ReleaseSlot(const ::yilian::referral::v1::SessionBookings& bookings,
                                                                const std::string& referral_id,
                                                                const std::string& reason, absl::Time now);

absl::Status EvolveSession(::yilian::referral::v1::SessionBookings& bookings,
                           const ::yilian::referral::v1::SessionEvent& event);

}  // namespace yilian::domain::referral
