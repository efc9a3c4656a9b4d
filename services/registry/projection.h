#pragma once
// The registry's read model: one row per aggregate (its state and version) plus indexes,
// folded from events by the domain core's Evolve, and the queries the API serves.
//
//   i/<institution>                 InstitutionReply
//   c/<consortium>                  ConsortiumReply
//   m/<institution>/<consortium>    membership index
//   w/<institution>/<ward>          WardReply
//   s/<session>                     ExpertSessionReply
//   sx/<institution>/<date>/<session>  session index by host and date
//   r/<patient token>               ResidentReply
//
// RegistryProjector is called by the journal (append and rebuild). RegistryView reads
// committed rows; thread-safe. Both borrow the store.

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "yilian/domain/registry/registry.h"
#include "yilian/eventstore/projection.h"
#include "yilian/eventstore/store.h"

namespace yilian::registry {

namespace rv1 = ::yilian::registry::v1;

// The registry event an envelope carries. INVALID_ARGUMENT if it carries something else.
absl::StatusOr<rv1::RegistryEvent> EventOf(const events::v1::Envelope& envelope);

class RegistryProjector : public eventstore::Projector {
 public:
  absl::Status Apply(const events::v1::Envelope& event, eventstore::ProjectionBatch& rows) override;
};

struct Page {
  int32_t size = 50;
  std::string after;  // the last key of the previous page (decoded token)
};
// PageRequest -> Page: default 50, at most 500; INVALID_ARGUMENT for a foreign token.
absl::StatusOr<Page> PageOf(const common::v1::PageRequest& request, const std::string& prefix);
std::string PageToken(const std::string& last_key);

class RegistryView : public domain::registry::Directory {
 public:
  explicit RegistryView(const eventstore::Store* store) : store_(store) {}

  // Row + version; nullopt when absent.
  absl::StatusOr<std::optional<rv1::InstitutionReply>> Institution(const std::string& id) const;
  absl::StatusOr<std::optional<rv1::ConsortiumReply>> Consortium(const std::string& id) const;
  absl::StatusOr<std::optional<rv1::WardReply>> Ward(const std::string& institution_id, const std::string& ward_id) const;
  absl::StatusOr<std::optional<rv1::ExpertSessionReply>> Session(const std::string& id) const;
  absl::StatusOr<std::optional<rv1::ResidentReply>> Resident(const std::string& token) const;

  absl::StatusOr<rv1::ListInstitutionsResponse> ListInstitutions(const rv1::ListInstitutionsRequest& req) const;
  absl::StatusOr<rv1::ListConsortiaResponse> ListConsortia(const rv1::ListConsortiaRequest& req) const;
  absl::StatusOr<rv1::ListWardsResponse> ListWards(const rv1::ListWardsRequest& req) const;
  absl::StatusOr<rv1::ListExpertSessionsResponse> ListSessions(const rv1::ListExpertSessionsRequest& req) const;

  // Directory, for the domain core (errors read as "absent").
  std::optional<rv1::Institution> FindInstitution(const std::string& id) const override;
  std::vector<std::string> ConsortiaOf(const std::string& institution_id) const override;

 private:
  template <typename Reply>
  absl::StatusOr<std::optional<Reply>> Row(const std::string& key) const;
  const eventstore::Store* store_;
};

}  // namespace yilian::registry
