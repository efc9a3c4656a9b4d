#pragma once
// What a referral answer shows beside the stored referral: which attached exam results the
// receiver need not repeat (recognised now), the actions allowed in its state, and the
// patient's identity. Every caller who may see a referral is in the patient's care (its
// sender, receiver or their lead hospital: domain::referral::SideOf), so the identity is
// shown to each.
//
// Thread-safe; borrows the directory, vault and clock.

#include "directory.h"
#include "yilian/common/clock.h"
#include "yilian/privacy/key_vault.h"
#include "yilian/referral/v1/referral_service.pb.h"

namespace yilian::referral {

class ReplyShape {
 public:
  ReplyShape(const MirrorDirectory* directory, privacy::KeyVault* vault, common::Clock* clock)
      : directory_(directory), vault_(vault), clock_(clock) {}
  void operator()(::yilian::referral::v1::ReferralReply& reply) const;

 private:
  const MirrorDirectory* directory_;
  privacy::KeyVault* vault_;
  common::Clock* clock_;
};

}  // namespace yilian::referral
