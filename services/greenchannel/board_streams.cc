#include "board_streams.h"

#include "yilian/domain/greenchannel/bed_board.h"
#include "yilian/domain/greenchannel/bed_request.h"
#include "yilian/domain/greenchannel/emergency_case.h"

namespace yilian::greenchannel {

namespace dgc = ::yilian::domain::greenchannel;
namespace gv1 = ::yilian::greenchannel::v1;

namespace {

void IndexWard(const gv1::BoardEvent&, const gv1::WardBoard*, const gv1::WardBoard& after, events::v1::Envelope& env) {
  env.add_institution_ids(after.institution_id());
}

void IndexCase(const gv1::CaseEvent& e, const gv1::EmergencyCase* before, const gv1::EmergencyCase& after,
               events::v1::Envelope& env) {
  env.add_institution_ids(after.placement().institution_id());
  if (before != nullptr && before->placement().institution_id() != after.placement().institution_id())
    env.add_institution_ids(before->placement().institution_id());
  if (e.has_opened() && !after.patient().value().empty()) *env.mutable_patient() = after.patient();
}

void IndexRequest(const gv1::BedRequestEvent&, const gv1::BedRequest*, const gv1::BedRequest& after,
                  events::v1::Envelope& env) {
  env.add_institution_ids(after.institution_id());
}

}  // namespace

const command::Kind<gv1::WardBoard, gv1::BoardEvent> kWardKind{dgc::kWard, &dgc::Evolve, &IndexWard};
const command::Kind<gv1::EmergencyCase, gv1::CaseEvent> kCaseKind{dgc::kCase, &dgc::Evolve, &IndexCase,
                                                                  /*index_needs_before=*/true};
const command::Kind<gv1::BedRequest, gv1::BedRequestEvent> kRequestKind{dgc::kBedRequest, &dgc::Evolve, &IndexRequest};

}  // namespace yilian::greenchannel
