#include "intake.h"

#include <pthread.h>

#include "absl/strings/str_cat.h"
#include "yilian/common/logging.h"
#include "yilian/common/status_macros.h"
#include "yilian/domain/registry/registry.h"

namespace yilian::greenchannel {

namespace rfv1 = ::yilian::referral::v1;
using eventstore::Family;

namespace {

constexpr char kInboxPrefix[] = "gc/inbox/";
constexpr char kInboxNext[] = "gc/inbox-next";

bool ForTheBoard(const events::v1::Envelope& env) {
  if (env.source_service() == "registry") return env.aggregate_type() == domain::registry::kWard;
  const auto& p = env.payload();
  return p.Is<rfv1::BedRequested>() || p.Is<rfv1::BedRequestCancelled>() || p.Is<rfv1::ReferredPatientAdmitted>();
}

absl::Status CheckRequestId(const std::string& id) {
  if (id.empty() || id.size() > 128) return absl::InvalidArgumentError("bed request_id must be 1..128 characters");
  return absl::OkStatus();
}

absl::Status Validate(const events::v1::Envelope& env) {
  const auto& p = env.payload();
  if (p.Is<rfv1::BedRequested>()) {
    rfv1::BedRequested r;
    if (!p.UnpackTo(&r)) return absl::InvalidArgumentError("BedRequested does not parse");
    RETURN_IF_ERROR(CheckRequestId(r.request_id()));
    if (r.referral_id().empty() || r.institution_id().empty() || r.ward_kind() == registry::v1::WARD_KIND_UNSPECIFIED)
      return absl::InvalidArgumentError("BedRequested needs referral_id, institution_id and ward_kind");
  } else if (p.Is<rfv1::BedRequestCancelled>()) {
    rfv1::BedRequestCancelled r;
    if (!p.UnpackTo(&r)) return absl::InvalidArgumentError("BedRequestCancelled does not parse");
    RETURN_IF_ERROR(CheckRequestId(r.request_id()));
  } else if (p.Is<rfv1::ReferredPatientAdmitted>()) {
    rfv1::ReferredPatientAdmitted r;
    if (!p.UnpackTo(&r)) return absl::InvalidArgumentError("ReferredPatientAdmitted does not parse");
    RETURN_IF_ERROR(CheckRequestId(r.request_id()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status IntakeProjector::Apply(const events::v1::Envelope& env, eventstore::ProjectionBatch& rows) {
  if (env.source_service() == "registry") RETURN_IF_ERROR(registry_.Apply(env, rows));
  if (!ForTheBoard(env)) return absl::OkStatus();
  RETURN_IF_ERROR(Validate(env));
  ASSIGN_OR_RETURN(auto next, rows.Get(kInboxNext));
  const uint64_t n = next ? eventstore::DecodeU64(*next) : 1;
  rows.Put(absl::StrCat(kInboxPrefix, eventstore::EncodeU64(n)), env.SerializeAsString());
  rows.Put(kInboxNext, eventstore::EncodeU64(n + 1));
  return absl::OkStatus();
}

Intake::Intake(eventstore::Store* store, eventstore::Journal* journal, BoardWriter* writer,
               const registry_model::RegistryView* registry, SiteDirectory* sites)
    : store_(store), journal_(journal), writer_(writer), registry_(registry), sites_(sites) {
  thread_ = std::thread([this] { Loop(); });
}

Intake::~Intake() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Intake::Notify() {
  sites_->Invalidate();
  {
    std::lock_guard lock(mu_);
    poked_ = true;
  }
  cv_.notify_all();
}

int64_t Intake::Pending() const {
  auto n = store_->Scan(Family::kConsumed, kInboxPrefix, "", [](std::string_view, std::string_view) { return true; });
  return n.ok() ? *n : -1;
}

absl::Status Intake::Handle(const events::v1::Envelope& env) {
  Call call;
  call.actor = writer_->system();
  call.correlation_id = env.correlation_id();
  call.causation_id = env.event_id();
  call.idempotency_key = absl::StrCat("inbox/", env.source_service(), "/", env.source_sequence());
  call.request_hash = env.event_id();
  auto prior = journal_->FindIdempotent(call.idempotency_key, call.request_hash);
  if (!prior.ok()) return prior.status();
  if (*prior) return absl::OkStatus();  // acted on before a crash
  const auto& p = env.payload();
  if (env.source_service() == "registry") {
    const std::string& id = env.aggregate_id();
    const size_t slash = id.find('/');
    if (slash == std::string::npos) return absl::InvalidArgumentError(absl::StrCat("ward id \"", id, "\""));
    auto ward = registry_->Ward(id.substr(0, slash), id.substr(slash + 1));
    if (!ward.ok()) return ward.status();
    if (!*ward) return absl::NotFoundError(absl::StrCat("ward ", id, " is not in the registry mirror"));
    return writer_->SetCapacity(call, (*ward)->ward());
  }
  if (p.Is<rfv1::BedRequested>()) {
    rfv1::BedRequested r;
    p.UnpackTo(&r);
    return writer_->AnswerBedRequest(call, r);
  }
  if (p.Is<rfv1::BedRequestCancelled>()) {
    rfv1::BedRequestCancelled r;
    p.UnpackTo(&r);
    return writer_->CancelBedRequest(call, r);
  }
  rfv1::ReferredPatientAdmitted r;
  p.UnpackTo(&r);
  return writer_->AdmitReferral(call, r);
}

void Intake::Loop() {
  pthread_setname_np(pthread_self(), "yl-intake");
  while (true) {
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stop_ || poked_; });
      if (stop_) return;
      poked_ = false;
    }
    std::vector<std::pair<std::string, std::string>> items;
    auto scanned = store_->Scan(Family::kConsumed, kInboxPrefix, "", [&](std::string_view k, std::string_view v) {
      items.emplace_back(k, v);
      return items.size() < 256;
    });
    if (!scanned.ok()) common::Logger().error("green channel intake: {}", scanned.status().ToString());
    bool again = items.size() == 256;
    for (const auto& [key, value] : items) {
      {
        std::lock_guard lock(mu_);
        if (stop_) return;
      }
      events::v1::Envelope env;
      absl::Status s = env.ParseFromString(value) ? Handle(env) : absl::DataLossError("inbox item does not parse");
      if (absl::IsUnavailable(s) || absl::IsAborted(s) || absl::IsInternal(s)) {
        // Transient (disk, shutdown, a race on a version): keep the item, try again soon.
        common::Logger().warn("green channel intake: {} (will retry)", s.ToString());
        again = true;
        std::unique_lock lock(mu_);
        cv_.wait_for(lock, std::chrono::milliseconds(100), [&] { return stop_; });
        break;
      }
      if (!s.ok())
        common::Logger().warn("green channel intake: {} event {} from {} #{} not acted on: {}", env.event_type(),
                              env.event_id(), env.source_service(), env.source_sequence(), s.ToString());
      auto d = store_->db()->Delete(rocksdb::WriteOptions(), store_->cf(Family::kConsumed), key);
      if (!d.ok()) common::Logger().error("green channel intake: deleting {}: {}", key, d.ToString());
    }
    if (again) {
      std::lock_guard lock(mu_);
      poked_ = true;
    }
  }
}

}  // namespace yilian::greenchannel
