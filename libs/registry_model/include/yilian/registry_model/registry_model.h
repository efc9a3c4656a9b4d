#pragma once
// The registry's read model: one row per aggregate (its state and version) plus indexes,
// folded from registry events by the domain core's Evolve, and the queries the API serves.
// The registry keeps it in its `projection` family; a service that follows the registry
// (green channel, referral) keeps the same rows in its `consumed` family under a prefix,
// fed by a BusConsumer, and reads them through the same RegistryView. Keys (after the prefix):
//
//   i/<institution>                 InstitutionReply
//   c/<consortium>                  ConsortiumReply
//   m/<institution>/<consortium>    membership index
//   w/<institution>/<ward>          WardReply
//   s/<session>                     ExpertSessionReply
//   sx/<institution>/<date>/<session>  session index by host and date
//   r/<patient token>               ResidentReply
//   x/<patient token>               ErasePatientReply (the patient was erased)
//
// RegistryProjector is called by the journal (append and rebuild) or a BusConsumer.
// RegistryView reads committed rows; thread-safe. Both borrow the store.

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "yilian/domain/registry/registry.h"
#include "yilian/eventstore/projection.h"
#include "yilian/eventstore/store.h"

namespace yilian::registry_model {
// The registry event an envelope carries. INVALID_ARGUMENT if it carries something else.
absl::StatusOr<registry::v1::RegistryEvent> EventOf(const events::v1::Envelope& envelope);

class RegistryProjector : public eventstore::Projector {
 public:
  // `prefix` goes before every key ("" in the registry itself, e.g. "registry/" elsewhere).
  explicit RegistryProjector(std::string prefix = "") : prefix_(std::move(prefix)) {}
  absl::Status Apply(const events::v1::Envelope& event, eventstore::ProjectionBatch& rows) override;
  // Called for each PatientErased before its row is written (a service destroys its own
  // data key for the patient there); an error refuses the event. Must be idempotent: a
  // redelivered or rebuilt event calls it again.
  using OnErased = std::function<absl::Status(const std::string& patient, int64_t at_ms)>;
  void SetOnErased(OnErased f) { on_erased_ = std::move(f); }

 private:
  std::string prefix_;
  OnErased on_erased_;
};

// One page of a listing: where it resumes and how full it is.
struct Page {
  int32_t size = 50;
  std::string after;  // the last key of the previous page (decoded token)
  std::string last;   // the last key taken into this page
  int32_t taken = 0;
  // Where a scan resumes: just after `after` ("" = from the start of the prefix).
  std::string ScanStart() const { return after.empty() ? "" : after + std::string(1, '\0'); }
  // False when the page is full; `info` then gets the token of the next page.
  bool Room(common::v1::PageInfo* info) const;
  void Take(std::string_view key) {
    last = std::string(key);
    ++taken;
  }
};
// PageRequest -> Page: default 50, at most 500; INVALID_ARGUMENT for a foreign token.
absl::StatusOr<Page> PageOf(const common::v1::PageRequest& request, const std::string& prefix);
std::string PageToken(const std::string& last_key);

class RegistryView : public domain::registry::Directory {
 public:
  explicit RegistryView(const eventstore::Store* store, eventstore::Family family = eventstore::Family::kProjection,
                        std::string prefix = "")
      : store_(store), family_(family), prefix_(std::move(prefix)) {}

  // Row + version; nullopt when absent.
  absl::StatusOr<std::optional<registry::v1::InstitutionReply>> Institution(const std::string& id) const;
  absl::StatusOr<std::optional<registry::v1::ConsortiumReply>> Consortium(const std::string& id) const;
  absl::StatusOr<std::optional<registry::v1::WardReply>> Ward(const std::string& institution_id,
                                                              const std::string& ward_id) const;
  absl::StatusOr<std::optional<registry::v1::ExpertSessionReply>> Session(const std::string& id) const;
  absl::StatusOr<std::optional<registry::v1::ResidentReply>> Resident(const std::string& token) const;
  absl::StatusOr<std::optional<registry::v1::ErasePatientReply>> Erasure(const std::string& token) const;

  absl::StatusOr<registry::v1::ListInstitutionsResponse> ListInstitutions(
      const registry::v1::ListInstitutionsRequest& req) const;
  absl::StatusOr<registry::v1::ListConsortiaResponse> ListConsortia(
      const registry::v1::ListConsortiaRequest& req) const;
  absl::StatusOr<registry::v1::ListWardsResponse> ListWards(const registry::v1::ListWardsRequest& req) const;
  absl::StatusOr<registry::v1::ListExpertSessionsResponse> ListSessions(
      const registry::v1::ListExpertSessionsRequest& req) const;

  // Directory, for the domain core (errors read as "absent").
  std::optional<registry::v1::Institution> FindInstitution(const std::string& id) const override;
  std::vector<std::string> ConsortiaOf(const std::string& institution_id) const override;

 private:
  template <typename Reply>
  absl::StatusOr<std::optional<Reply>> Row(const std::string& key) const;
  std::string Key(const std::string& rest) const { return prefix_ + rest; }
  const eventstore::Store* store_;
  eventstore::Family family_;
  std::string prefix_;
};

}  // namespace yilian::registry_model
