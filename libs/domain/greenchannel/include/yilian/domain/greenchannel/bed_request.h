#pragma once
// A referral's bed request as the bed board answers it (ARCHITECTURE.md, the bed saga):
// reserved (a general bed held until the planned admission) or declined with the reason;
// a reserved request is later released (the referral was cancelled, or the hold lapsed) or
// taken up (the patient arrived and holds a bed). Pure decide/evolve functions.
//
// Errors: INVALID_ARGUMENT (malformed), NOT_FOUND (no such request), ALREADY_EXISTS (the
// request was answered already), FAILED_PRECONDITION (not reserved any more). Thread-safe.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "yilian/greenchannel/v1/greenchannel.pb.h"

namespace yilian::domain::greenchannel {
using RequestEvents = std::vector<::yilian::greenchannel::v1::BedRequestEvent>;

// `answer` holds the request's facts; with a hold_id it is reserved, else declined (reason set).
absl::StatusOr<RequestEvents> AnswerBedRequest(const std::optional<::yilian::greenchannel::v1::BedRequest>& state,
                                               const ::yilian::greenchannel::v1::BedRequest& answer);
absl::StatusOr<RequestEvents> ReleaseBedRequest(const std::optional<::yilian::greenchannel::v1::BedRequest>& state,
                                                const std::string& reason);
absl::StatusOr<RequestEvents> TakeUpBedRequest(const std::optional<::yilian::greenchannel::v1::BedRequest>& state,
                                               const std::string& admission_id);

// The bed held for a referral's request ("bed:<request>"), until `expires_ms`.
::yilian::greenchannel::v1::BedHold ReferralHold(const std::string& request_id, const std::string& referral_id,
                                                 int64_t now_ms, int64_t expires_ms);
// The request a hold belongs to ("" when it is not a referral's).
std::string RequestOfHold(const ::yilian::greenchannel::v1::BedHold& hold);

absl::Status Evolve(std::optional<::yilian::greenchannel::v1::BedRequest>& state,
                    const ::yilian::greenchannel::v1::BedRequestEvent& event);

}  // namespace yilian::domain::greenchannel
