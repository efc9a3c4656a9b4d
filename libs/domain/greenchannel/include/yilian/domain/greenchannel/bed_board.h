#pragma once
// One ward's beds on the consortium bed board, as pure decide/evolve functions. The green
// channel service is the only writer of bed state; these rules are what it enforces.
//
//   used      = admissions + holds
//   emergency holds may fill the ward up to `capacity` (the reserve included);
//   referral holds only up to `capacity - emergency_reserved`;
//   a hold expires at its deadline (Expire, driven by an injected clock) and frees its bed;
//   a capacity cut below `used` is accepted (over capacity) and never evicts anyone: new holds
//   are refused until `used` falls under the new limits.
//
// Errors: INVALID_ARGUMENT (malformed), NOT_FOUND (unknown hold or admission),
// ALREADY_EXISTS (hold/admission id reused), FAILED_PRECONDITION (no bed, ward unknown).
// Pure; thread-safe.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "yilian/greenchannel/v1/greenchannel.pb.h"

namespace yilian::domain::greenchannel {
// The green channel's aggregate types (ward ids are "<institution>/<ward>").
inline constexpr char kWard[] = "ward";
inline constexpr char kCase[] = "case";
inline constexpr char kBedRequest[] = "bed_request";
using BoardEvents = std::vector<::yilian::greenchannel::v1::BoardEvent>;

// Beds a new hold of `purpose` could take now (0 when over capacity).
int32_t FreeBeds(const ::yilian::greenchannel::v1::WardBoard& ward, ::yilian::greenchannel::v1::HoldPurpose purpose);

absl::StatusOr<BoardEvents> SetCapacity(const std::optional<::yilian::greenchannel::v1::WardBoard>& state,
                                        const ::yilian::greenchannel::v1::WardCapacitySet& cmd);
// `hold.expires_at` must be after `hold.placed_at`.
absl::StatusOr<BoardEvents> PlaceHold(const std::optional<::yilian::greenchannel::v1::WardBoard>& state,
                                      const ::yilian::greenchannel::v1::BedHold& hold);
absl::StatusOr<BoardEvents> ReleaseHold(const std::optional<::yilian::greenchannel::v1::WardBoard>& state,
                                        const std::string& hold_id, const std::string& reason);
// The patient arrived: the hold becomes an admission.
absl::StatusOr<BoardEvents> Admit(const std::optional<::yilian::greenchannel::v1::WardBoard>& state,
                                  const std::string& hold_id, const std::string& admission_id);
// Discharge or transfer out.
absl::StatusOr<BoardEvents> Vacate(const std::optional<::yilian::greenchannel::v1::WardBoard>& state,
                                   const std::string& admission_id, const std::string& reason);
// Every hold whose deadline is at or before `now_ms` expires (no events when none).
BoardEvents Expire(const std::optional<::yilian::greenchannel::v1::WardBoard>& state, int64_t now_ms);
// The one hold `hold_id` expires if it is due at `now_ms` (no events when it is gone or not
// due yet): its owner is dealt with first, and no other hold is touched.
BoardEvents ExpireHold(const std::optional<::yilian::greenchannel::v1::WardBoard>& state, const std::string& hold_id,
                       int64_t now_ms);
// The hold `hold_id` on the ward, null when it is not there.
const ::yilian::greenchannel::v1::BedHold* FindHold(const std::optional<::yilian::greenchannel::v1::WardBoard>& state,
                                                    const std::string& hold_id);

// FAILED_PRECONDITION when the event does not fit the state.
absl::Status Evolve(std::optional<::yilian::greenchannel::v1::WardBoard>& state,
                    const ::yilian::greenchannel::v1::BoardEvent& event);

}  // namespace yilian::domain::greenchannel
