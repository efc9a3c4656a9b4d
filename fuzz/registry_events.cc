// (c) Registry events as the consumers take them: the green channel's and the referral's
// intake projectors fold them into their registry mirror (registry_model's RegistryProjector)
// and queue ward changes for the bed board; the registry's own projector folds them too. Then
// the mirror is read as the services read it: RegistryView queries and listings with paging,
// the green channel's sites and placement, the referral's directory.
#include "services/greenchannel/intake.h"
#include "services/greenchannel/sites.h"
#include "services/referral/directory.h"
#include "services/referral/intake.h"
#include "support.h"
#include "targets.h"
#include "yilian/domain/greenchannel/placement.h"
#include "yilian/domain/registry/registry.h"
#include "yilian/registry_model/registry_model.h"

namespace yilian::fuzz {

namespace {

namespace dreg = ::yilian::domain::registry;
namespace rv1 = ::yilian::registry::v1;
using eventstore::Family;

constexpr const char* kTypes[] = {dreg::kInstitution, dreg::kConsortium, dreg::kWard, dreg::kExpertSession,
                                  dreg::kResident};
constexpr int kMaxEvents = 24;

// Every page of a listing, following next_page_token (at most 64 pages).
template <typename Request, typename List>
void AllPages(Request req, int32_t page_size, List list) {
  req.mutable_page()->set_page_size(page_size);
  for (int pages = 0; pages < 64; ++pages) {
    auto page = list(req);
    if (!page.ok() || page->page().next_page_token().empty()) return;
    req.mutable_page()->set_page_token(page->page().next_page_token());
  }
}

// How the mirror is read after the events: the input's first bytes.
struct Reads {
  int32_t page_size;
  int32_t tier;
  rv1::Capability capability;
  rv1::Location patient;
  greenchannel::v1::Condition condition;
};

Reads ReadReads(FuzzInput& in) {
  Reads r;
  r.page_size = 1 + in.Byte() % 4;
  r.tier = in.Byte() % 4;
  r.capability = static_cast<rv1::Capability>(in.Byte() % 20);
  r.patient.set_latitude((in.Byte() - 128) * 0.7);
  r.patient.set_longitude((in.Byte() - 128) * 1.4);
  r.condition = static_cast<greenchannel::v1::Condition>(1 + in.Byte() % 6);
  return r;
}

// The reads the services make of a registry mirror holding what was folded.
void ReadMirror(const Reads& reads, const std::string& prefix, const std::set<std::string>& ids,
                const std::vector<google::protobuf::Timestamp>& starts) {
  const registry_model::RegistryView view(&ScratchStore(), Family::kConsumed, prefix);
  const int32_t page_size = reads.page_size;
  rv1::ListInstitutionsRequest institutions;
  institutions.set_tier(reads.tier);
  institutions.set_capability(reads.capability);
  AllPages(institutions, page_size, [&](const auto& r) { return view.ListInstitutions(r); });
  AllPages(rv1::ListConsortiaRequest(), page_size, [&](const auto& r) { return view.ListConsortia(r); });
  const referral::MirrorDirectory directory(&view);
  const greenchannel::SiteDirectory sites(&view);
  for (const auto& id : ids) {
    (void)view.Institution(id);
    (void)view.Consortium(id);
    (void)view.Session(id);
    (void)view.Resident(id);
    (void)directory.FindInstitution(id);
    (void)directory.FindConsortium(id);
    (void)directory.ConsortiaOf(id);
    (void)directory.SignedResident(id, id);
    institutions.set_consortium_id(id);
    AllPages(institutions, page_size, [&](const auto& r) { return view.ListInstitutions(r); });
    rv1::ListWardsRequest wards;
    wards.set_institution_id(id);
    AllPages(wards, page_size, [&](const auto& r) { return view.ListWards(r); });
    rv1::ListExpertSessionsRequest sessions;
    sessions.set_institution_id(id);
    AllPages(sessions, page_size, [&](const auto& r) { return view.ListSessions(r); });
    for (const auto& d : starts) {  // ListAvailableSlots' window
      *sessions.mutable_from() = d;
      *sessions.mutable_to() = d;
      AllPages(sessions, page_size, [&](const auto& r) { return view.ListSessions(r); });
    }
    auto members = sites.Sites(id);
    if (members.ok()) (void)domain::greenchannel::Place(greenchannel::v1::STROKE, {}, *members);
  }
  auto all = sites.Sites("");
  if (all.ok()) (void)domain::greenchannel::Place(reads.condition, reads.patient, *all);
}

}  // namespace

// Layout: the read parameters (page size, tier, capability, patient latitude and longitude,
// condition: a byte each), then up to 24 events, each: aggregate type selector (0-4 a registry
// type, else a type chunk), aggregate id chunk, version byte, RegistryEvent chunk.
int FuzzRegistryEvents(const uint8_t* data, size_t size) {
  FuzzInput in(data, size);
  const Reads reads = ReadReads(in);
  static greenchannel::IntakeProjector* greenchannel = new greenchannel::IntakeProjector();
  static referral::IntakeProjector* referral = new referral::IntakeProjector();
  static registry_model::RegistryProjector* own = new registry_model::RegistryProjector();
  std::set<std::string> ids;
  std::vector<google::protobuf::Timestamp> starts;
  rocksdb::WriteBatch commit;
  {
    Scratch mirror;                           // the green channel's consumed family: mirror + inbox
    Scratch referral_mirror;                  // the referral's
    Scratch projection(Family::kProjection);  // the registry's own read model
    std::map<std::string, std::optional<rv1::Institution>> institutions;
    std::map<std::string, std::optional<rv1::Consortium>> consortia;
    std::map<std::string, std::optional<rv1::Ward>> wards;
    std::map<std::string, std::optional<rv1::ExpertSession>> sessions;
    std::map<std::string, std::optional<rv1::Resident>> residents;
    for (int i = 0; i < kMaxEvents && !in.empty(); ++i) {
      const uint8_t selector = in.Byte();
      const std::string type = selector % 8 < 5 ? kTypes[selector % 8] : in.Text();
      const std::string id = in.Text();
      const int64_t version = in.Byte();
      rv1::RegistryEvent e;
      if (!in.Parse(e)) break;
      const auto env =
          EnvelopeFor(dreg::Payload(e), "registry", type, id, version, i + 1, absl::FromUnixSeconds(1'700'000'000));
      const std::string stored = env.SerializeAsString();
      (void)greenchannel->ApplyEntry(env, stored, mirror.rows());
      (void)referral->ApplyEntry(env, stored, referral_mirror.rows());
      (void)own->Apply(env, projection.rows());
      // The domain fold per aggregate type, as the registry_model rows hold it.
      if (type == dreg::kInstitution) (void)dreg::Evolve(institutions[id], e);
      if (type == dreg::kConsortium) (void)dreg::Evolve(consortia[id], e);
      if (type == dreg::kWard) (void)dreg::Evolve(wards[id], e);
      if (type == dreg::kExpertSession) (void)dreg::Evolve(sessions[id], e);
      if (type == dreg::kResident) (void)dreg::Evolve(residents[id], e);
      ids.insert(id);
      if (const size_t slash = id.find('/'); slash != std::string::npos) {
        ids.insert(id.substr(0, slash));
        ids.insert(id.substr(slash + 1));
      }
      if (e.has_expert_session_published()) {
        starts.push_back(e.expert_session_published().session().starts_at());
        ids.insert(e.expert_session_published().session().institution_id());
      }
      if (e.has_ward_defined()) ids.insert(e.ward_defined().ward().institution_id());
      if (e.has_consortium_formed())
        for (const auto& m : e.consortium_formed().consortium().member_ids()) ids.insert(m);
    }
    commit = *mirror.batch().Seal();
  }
  while (ids.size() > 16) ids.erase(std::prev(ids.end()));
  if (starts.size() > 4) starts.resize(4);
  // Commit the green channel's mirror and read it as the services do.
  if (commit.Count() > 0) ReadMirror(reads, CommitUnderNewPrefix(commit, Family::kConsumed) + "registry/", ids, starts);
  return 0;
}

}  // namespace yilian::fuzz
