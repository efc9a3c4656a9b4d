#pragma once
// The green channel's aggregates as the command runner writes them, each event's envelope
// indexed for the audit: a ward's beds (by the ward's institution), an emergency case (by its
// destination, before and after a redirect, and by patient when it opens) and a referral's
// bed request (by the receiving hospital).

#include "yilian/command/stream.h"
#include "yilian/greenchannel/v1/greenchannel.pb.h"

namespace yilian::greenchannel {

extern const command::Kind<v1::WardBoard, v1::BoardEvent> kWardKind;
extern const command::Kind<v1::EmergencyCase, v1::CaseEvent> kCaseKind;
extern const command::Kind<v1::BedRequest, v1::BedRequestEvent> kRequestKind;

using WardStream = command::Stream<v1::WardBoard, v1::BoardEvent>;
using CaseStream = command::Stream<v1::EmergencyCase, v1::CaseEvent>;
using RequestStream = command::Stream<v1::BedRequest, v1::BedRequestEvent>;

}  // namespace yilian::greenchannel
