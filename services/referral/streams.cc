#include "streams.h"

#include "yilian/domain/referral/referral.h"
#include "yilian/domain/referral/slots.h"

namespace yilian::referral {

namespace {

namespace fv1 = ::yilian::referral::v1;
namespace dref = ::yilian::domain::referral;
void IndexReferral(const fv1::ReferralEvent&, const fv1::Referral*, const fv1::Referral& after,
                   events::v1::Envelope& env) {
  *env.mutable_patient() = after.patient();
  env.add_institution_ids(after.sender_institution_id());
  env.add_institution_ids(after.receiver_institution_id());
}

absl::Status EvolveSession(std::optional<fv1::SessionBookings>& state, const fv1::SessionEvent& e) {
  if (!state) state.emplace();
  return dref::EvolveSession(*state, e);
}

void IndexSession(const fv1::SessionEvent& e, const fv1::SessionBookings*, const fv1::SessionBookings&,
                  events::v1::Envelope& env) {
  if (e.has_booked() && !e.booked().booking().institution_id().empty())
    env.add_institution_ids(e.booked().booking().institution_id());
}

}  // namespace

const command::Kind<fv1::Referral, fv1::ReferralEvent> kReferralKind{dref::kReferral, &dref::Evolve, &IndexReferral};
const command::Kind<fv1::SessionBookings, fv1::SessionEvent> kSessionKind{dref::kExpertSession, &EvolveSession,
                                                                          &IndexSession};

}  // namespace yilian::referral
