#include "support.h"

#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <memory>

#include "absl/strings/str_cat.h"
#include "google/protobuf/stubs/logging.h"
#include "google/protobuf/util/time_util.h"
#include "targets.h"
#include "yilian/common/logging.h"

namespace yilian::fuzz {

namespace {

// Refusals and malformed strings are expected by the thousand: no logging from the code under
// test (spdlog) or from protobuf's serializer.
const bool kQuiet = [] {
  common::Logger().set_level(spdlog::level::off);
  google::protobuf::SetLogHandler(nullptr);
  return true;
}();

struct ScratchHolder {
  std::string dir;
  std::unique_ptr<eventstore::Store> store;

  ScratchHolder() {
    (void)kQuiet;
    dir = MakeTempDir(/*memory=*/true);
    auto s = eventstore::Store::Open(
        {.path = dir + "/store", .budget = {.block_cache_bytes = 8 << 20, .memtable_bytes = 8 << 20}});
    if (!s.ok()) {
      fprintf(stderr, "fuzz: cannot open the scratch store: %s\n", s.status().ToString().c_str());
      abort();
    }
    store = std::move(*s);
  }
  ~ScratchHolder() {
    store.reset();
    RemoveDir(dir);
  }
};

}  // namespace

std::string MakeTempDir(bool memory) {
  const char* tmp = getenv("TMPDIR");
  std::string base = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
  std::error_code ec;
  if (memory && std::filesystem::is_directory("/dev/shm", ec)) base = "/dev/shm";
  std::string templ = absl::StrCat(base, "/yilian-fuzz-XXXXXX");
  if (mkdtemp(templ.data()) == nullptr) {
    perror("fuzz: mkdtemp");
    abort();
  }
  return templ;
}

void RemoveDir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

eventstore::Store& ScratchStore() {
  static ScratchHolder holder;
  return *holder.store;
}

namespace {

// Copies a batch's puts and deletes into `out`, under `prefix`.
class Prefixer : public rocksdb::WriteBatch::Handler {
 public:
  Prefixer(std::string prefix, std::vector<eventstore::Store::RowWrite>* out) : prefix_(std::move(prefix)), out_(out) {}
  rocksdb::Status PutCF(uint32_t, const rocksdb::Slice& key, const rocksdb::Slice& value) override {
    out_->push_back({prefix_ + key.ToString(), value.ToString()});
    return rocksdb::Status::OK();
  }
  rocksdb::Status DeleteCF(uint32_t, const rocksdb::Slice& key) override {
    out_->push_back({prefix_ + key.ToString(), std::nullopt});
    return rocksdb::Status::OK();
  }

 private:
  std::string prefix_;
  std::vector<eventstore::Store::RowWrite>* out_;
};

}  // namespace

std::string CommitUnderNewPrefix(const rocksdb::WriteBatch& batch, eventstore::Family family) {
  static uint64_t commits = 0;
  eventstore::Store& store = ScratchStore();
  if (++commits % 2048 == 0) Require(store.Reset(family).ok(), "the scratch store's family resets");
  const std::string prefix = absl::StrCat("input-", commits, "/");
  std::vector<eventstore::Store::RowWrite> out;
  Prefixer prefixer(prefix, &out);
  Require(batch.Iterate(&prefixer).ok(), "a projector's batch holds only puts and deletes");
  Require(store.Write(family, out).ok(), "the scratch store takes a batch");
  return prefix;
}

bool FuzzDirectory::Read(FuzzInput& in) {
  registry::v1::ListInstitutionsResponse institutions;
  registry::v1::ListConsortiaResponse consortia;
  if (!in.Parse(institutions) || !in.Parse(consortia)) return false;
  for (const auto& r : institutions.institutions()) institutions_[r.institution().institution_id()] = r.institution();
  for (const auto& r : consortia.consortia()) consortia_[r.consortium().consortium_id()] = r.consortium();
  return true;
}

std::optional<registry::v1::Institution> FuzzDirectory::FindInstitution(const std::string& id) const {
  auto it = institutions_.find(id);
  if (it == institutions_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> FuzzDirectory::ConsortiaOf(const std::string& institution_id) const {
  std::vector<std::string> out;  // in consortium id order, as the mirror's index lists them
  for (const auto& [id, c] : consortia_)
    for (const auto& m : c.member_ids())
      if (m == institution_id) {
        out.push_back(id);
        break;
      }
  return out;
}

std::optional<registry::v1::Consortium> FuzzDirectory::FindConsortium(const std::string& id) const {
  auto it = consortia_.find(id);
  if (it == consortia_.end()) return std::nullopt;
  return it->second;
}

events::v1::Envelope EnvelopeFor(const google::protobuf::Message& payload, const std::string& source,
                                 const std::string& aggregate_type, const std::string& aggregate_id, int64_t version,
                                 int64_t sequence, absl::Time recorded) {
  using google::protobuf::util::TimeUtil;
  events::v1::Envelope env;
  env.set_event_id(absl::StrCat(source, "-", sequence));
  env.set_event_type(payload.GetDescriptor()->full_name());
  env.set_schema_version(1);
  env.set_source_service(source);
  env.set_source_sequence(sequence);
  env.set_aggregate_type(aggregate_type);
  env.set_aggregate_id(aggregate_id);
  env.set_aggregate_version(version);
  *env.mutable_occurred_at() = TimeUtil::MillisecondsToTimestamp(absl::ToUnixMillis(recorded));
  *env.mutable_recorded_at() = *env.mutable_occurred_at();
  env.mutable_payload()->PackFrom(payload);
  return env;
}

void Require(bool ok, const char* what) {
  if (ok) return;
  fprintf(stderr, "fuzz: invariant broken: %s\n", what);
  abort();
}

const std::vector<Target>& AllTargets() {
  static const std::vector<Target> targets = {
      {"envelope", &FuzzEnvelope},
      {"archive_entry", &FuzzArchiveEntry},
      {"bus_verify", &FuzzBusVerify},
      {"registry_commands", &FuzzRegistryCommands},
      {"referral_commands", &FuzzReferralCommands},
      {"greenchannel_commands", &FuzzGreenchannelCommands},
      {"audit_requests", &FuzzAuditRequests},
      {"registry_events", &FuzzRegistryEvents},
      {"referral_events", &FuzzReferralEvents},
      {"greenchannel_events", &FuzzGreenchannelEvents},
  };
  return targets;
}

}  // namespace yilian::fuzz
