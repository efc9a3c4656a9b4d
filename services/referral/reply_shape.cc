#include "reply_shape.h"

#include "yilian/domain/referral/referral.h"
#include "yilian/privacy/identity.h"

namespace yilian::referral {

namespace dref = ::yilian::domain::referral;
void ReplyShape::operator()(::yilian::referral::v1::ReferralReply& reply) const {
  reply.clear_exam_recognition();
  reply.clear_allowed_actions();
  for (auto& e : dref::RecogniseExams(reply.referral(), *directory_, clock_->Now()))
    *reply.add_exam_recognition() = std::move(e);
  for (auto& a : dref::AllowedActions(reply.referral())) reply.add_allowed_actions(std::move(a));
  const auto& r = reply.referral();
  if (r.has_sealed_identity())
    *reply.mutable_identity() = privacy::RevealIdentity(*vault_, r.patient(), r.sealed_identity(), true);
}

}  // namespace yilian::referral
