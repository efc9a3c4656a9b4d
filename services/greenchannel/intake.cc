#include "intake.h"

#include "absl/strings/str_cat.h"
#include "yilian/common/status_macros.h"
#include "yilian/domain/registry/registry.h"

namespace yilian::greenchannel {

namespace fv1 = ::yilian::referral::v1;
namespace {

constexpr char kInbox[] = "gc/inbox";

bool ForTheBoard(const events::v1::Envelope& env) {
  if (env.source_service() == "registry") return env.aggregate_type() == domain::registry::kWard;
  const auto& p = env.payload();
  return p.Is<fv1::BedRequested>() || p.Is<fv1::BedRequestCancelled>() || p.Is<fv1::ReferredPatientAdmitted>();
}

absl::Status CheckRequestId(const std::string& id) {
  if (id.empty() || id.size() > 128) return absl::InvalidArgumentError("bed request_id must be 1..128 characters");
  return absl::OkStatus();
}

absl::Status Validate(const events::v1::Envelope& env) {
  const auto& p = env.payload();
  if (p.Is<fv1::BedRequested>()) {
    fv1::BedRequested r;
    if (!p.UnpackTo(&r)) return absl::InvalidArgumentError("BedRequested does not parse");
    RETURN_IF_ERROR(CheckRequestId(r.request_id()));
    if (r.referral_id().empty() || r.institution_id().empty() || r.ward_kind() == registry::v1::WARD_KIND_UNSPECIFIED)
      return absl::InvalidArgumentError("BedRequested needs referral_id, institution_id and ward_kind");
  } else if (p.Is<fv1::BedRequestCancelled>()) {
    fv1::BedRequestCancelled r;
    if (!p.UnpackTo(&r)) return absl::InvalidArgumentError("BedRequestCancelled does not parse");
    RETURN_IF_ERROR(CheckRequestId(r.request_id()));
  } else if (p.Is<fv1::ReferredPatientAdmitted>()) {
    fv1::ReferredPatientAdmitted r;
    if (!p.UnpackTo(&r)) return absl::InvalidArgumentError("ReferredPatientAdmitted does not parse");
    RETURN_IF_ERROR(CheckRequestId(r.request_id()));
  }
  return absl::OkStatus();
}

}  // namespace

IntakeProjector::IntakeProjector()
    : bus::InboxProjector(
          kInbox,
          [this](const events::v1::Envelope& env, eventstore::ProjectionBatch& rows) {
            return env.source_service() == "registry" ? registry_.Apply(env, rows) : absl::OkStatus();
          },
          [](const events::v1::Envelope& env) -> absl::StatusOr<bool> {
            if (!ForTheBoard(env)) return false;
            RETURN_IF_ERROR(Validate(env));
            return true;
          }) {}

Intake::Intake(eventstore::Store* store, eventstore::Journal* journal, BedCommands* beds,
               const registry_model::RegistryView* registry, SiteDirectory* sites)
    : beds_(beds), registry_(registry), sites_(sites) {
  worker_ = std::make_unique<bus::InboxWorker>(
      store, journal, kInbox, "yl-intake",
      [this](const events::v1::Envelope& env, const std::string& key, const std::string& hash) {
        command::Call call = command::ServiceCall("greenchannel", env.correlation_id(), env.event_id());
        call.idempotency_key = key;
        call.request_hash = hash;
        return Handle(env, call);
      });
}

void Intake::Notify() {
  sites_->Invalidate();
  worker_->Notify();
}

absl::Status Intake::Handle(const events::v1::Envelope& env, const command::Call& call) {
  const auto& p = env.payload();
  if (env.source_service() == "registry") {
    const std::string& id = env.aggregate_id();
    const size_t slash = id.find('/');
    if (slash == std::string::npos) return absl::InvalidArgumentError(absl::StrCat("ward id \"", id, "\""));
    ASSIGN_OR_RETURN(auto ward, registry_->Ward(id.substr(0, slash), id.substr(slash + 1)));
    if (!ward) return absl::NotFoundError(absl::StrCat("ward ", id, " is not in the registry mirror"));
    return beds_->SetCapacity(call, ward->ward());
  }
  if (p.Is<fv1::BedRequested>()) {
    fv1::BedRequested r;
    p.UnpackTo(&r);
    return beds_->AnswerBedRequest(call, r);
  }
  if (p.Is<fv1::BedRequestCancelled>()) {
    fv1::BedRequestCancelled r;
    p.UnpackTo(&r);
    return beds_->CancelBedRequest(call, r);
  }
  fv1::ReferredPatientAdmitted r;
  p.UnpackTo(&r);
  return beds_->AdmitReferral(call, r);
}

}  // namespace yilian::greenchannel
