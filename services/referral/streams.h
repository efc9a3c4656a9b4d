#pragma once
// The referral service's aggregates as the command runner writes them: the referral (its
// envelopes indexed by patient, sender and receiver, so the audit finds them) and an expert
// session's bookings (indexed by the booking institution).

#include "yilian/command/stream.h"
#include "yilian/referral/v1/referral.pb.h"

namespace yilian::referral {

extern const command::Kind<::yilian::referral::v1::Referral, ::yilian::referral::v1::ReferralEvent> kReferralKind;
extern const command::Kind<::yilian::referral::v1::SessionBookings, ::yilian::referral::v1::SessionEvent> kSessionKind;

}  // namespace yilian::referral
