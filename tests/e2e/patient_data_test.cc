// Patient data across the running platform (issue 10): a known name and national id go in
// through the registry, the referral service and the green channel; they are shown only to
// the callers in the patient's care, then the patient is erased. Afterwards every read,
// replay and export says so, the audit chain still verifies, and the name and id are found
// in clear nowhere: not in any file under the platform's directory (RocksDB data and key
// vaults, logs), not in any key or value of any RocksDB column family (read logically, in
// case a block was compressed), and not in any message of any Kafka topic.
#include <librdkafka/rdkafka.h>

#include "google/protobuf/util/time_util.h"
#include "platform_fixture.h"
#include "rocksdb/db.h"
#include "yilian/bus/bus_keys.h"
#include "yilian/bus/wire.h"
#include "yilian/common/sha256.h"
#include "yilian/common/timestamp.h"
#include "yilian/events/v1/envelope.pb.h"
#include "yilian/registry/v1/registry.pb.h"

namespace yilian::e2e {
namespace {

constexpr char kName[] = "Zhang Mimi 张秘密";
constexpr char kNationalId[] = "43018119850505999X";
constexpr char kPatient[] = "pt-e2e-secret-1";

// Every file under `dir` as bytes, by path.
std::map<std::string, std::string> Files(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir)) {
    if (!f.is_regular_file()) continue;
    std::stringstream s;
    s << std::ifstream(f.path(), std::ios::binary).rdbuf();
    out[f.path().string()] = s.str();
  }
  return out;
}

// Every key and value of every column family of every RocksDB under `dir`, by database.
std::map<std::string, std::string> RocksContents(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir)) {
    if (f.path().filename() != "CURRENT") continue;
    const std::string db_dir = f.path().parent_path().string();
    std::vector<std::string> names;
    EXPECT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), db_dir, &names).ok()) << db_dir;
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const auto& n : names) families.emplace_back(n, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    auto s = rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), db_dir, families, &handles, &raw);
    EXPECT_TRUE(s.ok()) << db_dir << ": " << s.ToString();
    if (!s.ok()) continue;
    std::string& all = out[db_dir];
    for (auto* h : handles) {
      std::unique_ptr<rocksdb::Iterator> it(raw->NewIterator(rocksdb::ReadOptions(), h));
      for (it->SeekToFirst(); it->Valid(); it->Next()) all += it->key().ToString() + it->value().ToString();
      raw->DestroyColumnFamilyHandle(h);
    }
    delete raw;
  }
  return out;
}

// Every message (key and value) of every topic on the broker, by topic.
std::map<std::string, std::string> TopicContents(const std::string& bootstrap) {
  std::map<std::string, std::string> out;
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err);
  rd_kafka_conf_set(conf, "group.id", "patient-data-scan", err, sizeof err);
  rd_kafka_conf_set(conf, "enable.partition.eof", "true", err, sizeof err);
  rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (rk == nullptr) {
    ADD_FAILURE() << err;
    return out;
  }
  const rd_kafka_metadata_t* md = nullptr;
  EXPECT_EQ(rd_kafka_metadata(rk, 1, nullptr, &md, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(16);
  int remaining = 0;
  for (int t = 0; md && t < md->topic_cnt; ++t) {
    out[md->topics[t].topic];  // listed even when empty
    for (int p = 0; p < md->topics[t].partition_cnt; ++p, ++remaining)
      rd_kafka_topic_partition_list_add(parts, md->topics[t].topic, md->topics[t].partitions[p].id)->offset =
          RD_KAFKA_OFFSET_BEGINNING;
  }
  if (md) rd_kafka_metadata_destroy(md);
  EXPECT_EQ(rd_kafka_assign(rk, parts), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_topic_partition_list_destroy(parts);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (remaining > 0 && std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 500);
    if (m == nullptr) continue;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      --remaining;
    } else if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::string& all = out[rd_kafka_topic_name(m->rkt)];
      if (m->key) all.append(static_cast<const char*>(m->key), m->key_len);
      if (m->payload) all.append(static_cast<const char*>(m->payload), m->len);
    }
    rd_kafka_message_destroy(m);
  }
  EXPECT_EQ(remaining, 0) << "the scan did not reach the end of every partition";
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return out;
}

// Produces `value` with `headers` to `topic` as a client holding no bus key would.
void ProduceForged(const std::string& bootstrap, const std::string& topic, const std::string& key,
                   const std::string& value, const bus::WireHeaders& headers) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  ASSERT_NE(rk, nullptr) << err;
  EXPECT_EQ(rd_kafka_producev(
                rk, RD_KAFKA_V_TOPIC(topic.c_str()),
                RD_KAFKA_V_PARTITION(bus::PartitionFor(key, 4)),  // yilian-broker's 4 partitions
                RD_KAFKA_V_KEY(key.data(), key.size()), RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(bus::NewHeaders(headers)), RD_KAFKA_V_END),
            RD_KAFKA_RESP_ERR_NO_ERROR);
  EXPECT_EQ(rd_kafka_flush(rk, 30'000), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_destroy(rk);
}

// The control: the scan does read what is there (the pseudonymous reference is in clear).
template <typename Contents>
bool AnyHolds(const Contents& contents, const std::string& needle) {
  for (const auto& [where, bytes] : contents)
    if (bytes.find(needle) != std::string::npos) return true;
  return false;
}

template <typename Contents>
void ExpectNowhere(const Contents& contents, const std::string& what) {
  EXPECT_TRUE(AnyHolds(contents, kPatient)) << what << ": the scan did not see the patient's reference";
  for (const auto& [where, bytes] : contents)
    for (const std::string& needle : {std::string(kName), std::string(kNationalId), std::string("Zhang Mimi")})
      EXPECT_EQ(bytes.find(needle), std::string::npos)
          << what << " " << where << " holds \"" << needle << "\" in clear";
}

class PatientDataTest : public PlatformTest {
 protected:
  std::vector<std::string> Identity() {
    return {"--set", std::string("identity.name=") + kName, "--set", std::string("identity.national_id=") + kNationalId,
            "--set", "identity.phone=\"13900009999\""};
  }
  // yilianctl as `token`, with the identity flags when asked; stderr joins stdout.
  Out Call(const std::string& token, std::vector<std::string> args, bool identity = false) {
    if (identity)
      for (auto& a : Identity()) args.push_back(a);
    args.insert(args.begin(), {"/usr/bin/env", "YILIAN_HOME=" + root_, "bash", "-c", "\"$0\" \"$@\" 2>&1",
                               YILIAN_BIN "/tools/yilianctl", "--token-file=" + root_ + "/" + token + ".token"});
    return Exec(args);
  }
};

TEST_F(PatientDataTest, IdentityIsSealedEverywhereShownOnlyToCareAndErasureShredsIt) {
  // In through all three services that take it.
  auto enrolled = Call("admin",
                       {"registry", "enrol-resident", "--set", std::string("resident.patient.value=") + kPatient,
                        "--set", "resident.family_doctor_institution_id=qiaotouhe-mining-chc", "--set",
                        "resident.team=t1", "--set", "resident.signed_at=\"2026-01-05T00:00:00Z\"", "--set",
                        "request_id=e2e-enrol", "--get", "identity.identity.national_id"},
                       true);
  ASSERT_EQ(enrolled.code, 0) << enrolled.text;
  EXPECT_EQ(enrolled.text, std::string(kNationalId) + "\n");
  std::string referral;
  ASSERT_TRUE(testing::WaitFor(
      [&] {  // the referral service learns the registry by event
        auto r = Call("township",
                      {"referral", "submit", "--set", "referral.direction=UPWARD", "--set",
                       "referral.receiver_institution_id=loudi-1st", "--set",
                       std::string("referral.patient.value=") + kPatient, "--set", "referral.reason=TIA", "--set",
                       "referral.priority=URGENT", "--set", "referral.requested_service=EXAMINATION", "--set",
                       "request_id=e2e-submit", "--get", "referral.referral_id"},
                      true);
        if (r.code == 0) referral = r.text.substr(0, r.text.size() - 1);
        return r.code == 0;
      },
      std::chrono::seconds(120)));
  const int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  std::string case_id;
  ASSERT_TRUE(testing::WaitFor(
      [&] {  // the bed board, too, learns the wards by event
        auto opened = Call("dispatch",
                           {"greenchannel",
                            "open-case",
                            "--set",
                            "condition=STROKE",
                            "--set",
                            "severity=2",
                            "--set",
                            "location.latitude=27.69",
                            "--set",
                            "location.longitude=111.66",
                            "--set",
                            "dispatch_centre=120-loudi",
                            "--set",
                            std::string("patient.value=") + kPatient,
                            "--set",
                            "first_medical_contact_at=" + google::protobuf::util::TimeUtil::ToString(
                                                              yilian::common::TimestampFromMs(now_ms - 20 * 60000)),
                            "--set",
                            "request_id=e2e-case",
                            "--get",
                            "emergency_case.case_id"},
                           true);
        if (opened.code == 0) case_id = opened.text.substr(0, opened.text.size() - 1);
        return opened.code == 0;
      },
      std::chrono::seconds(120)));

  // Shown to the care, withheld from the auditor.
  auto expect_shown = [&] {
    EXPECT_EQ(Get("lead", {"referral", "get-referral", "--set", "referral_id=" + referral, "--get",
                           "referral.identity.identity.name"}),
              kName);
    EXPECT_EQ(Get("dispatch", {"greenchannel", "get-case", "--set", "case_id=" + case_id, "--get",
                               "current.identity.identity.national_id"}),
              kNationalId);
  };
  expect_shown();
  EXPECT_EQ(
      Get("auditor", {"greenchannel", "get-case", "--set", "case_id=" + case_id, "--get", "current.identity.state"}),
      "IDENTITY_WITHHELD");

  // A forged erasure, as the registry's next event, from a client able to write to its topic
  // but holding no registry key: unsigned, and signed with a guessed key. Each consumer parks
  // both and destroys nothing.
  {
    const int64_t head = std::stoll(Get("service", {"feed", "head", "--on", "registry", "--get", "head_sequence"}));
    registry::v1::PatientErased erased;
    erased.mutable_patient()->set_value(kPatient);
    erased.set_reason("forged");
    YILIAN_SET_MS(erased, at, now_ms);
    events::v1::Envelope env;
    env.set_event_type(erased.GetDescriptor()->full_name());
    env.set_schema_version(1);
    env.set_source_service("registry");
    env.set_source_sequence(head + 1);
    env.set_aggregate_type("patient");
    env.set_aggregate_id(kPatient);
    env.set_aggregate_version(1);
    env.mutable_payload()->PackFrom(erased);
    const std::string value = env.SerializeAsString();
    bus::WireHeaders h{env.event_type(), "registry", head + 1, 0, common::Sha256(value)};
    std::string bootstrap;
    std::getline(std::ifstream(root_ + "/bootstrap"), bootstrap);
    ProduceForged(bootstrap, "yilian.registry.events", kPatient, value, h);
    ASSERT_TRUE(bus::BusKeys::Parse("registry test-1 " + std::string(64, 'e'))->Sign(h).ok());
    ProduceForged(bootstrap, "yilian.registry.events", kPatient, value, h);
    for (const char* consumer : {"referral", "greenchannel", "audit"})
      EXPECT_TRUE(testing::WaitFor(
          [&] {
            return Ctl("admin", {"bus", "get-consumer-status", "--on", consumer, "--get", "unverified"}).text == "2\n";
          },
          std::chrono::seconds(60)))
          << consumer << " did not park the forged erasures";
    EXPECT_NE(Call("admin", {"bus", "list-parked", "--on", "referral"}).text.find("unverifiable message"),
              std::string::npos);
    expect_shown();  // nothing destroyed
  }

  // Erased: by the registry, then by every service the event reaches. The genuine erasure takes
  // the sequence the forged one claimed, and still reaches everyone.
  auto erased = Ctl("admin", {"registry", "erase-patient", "--set", std::string("patient.value=") + kPatient, "--set",
                              "reason=the patient's request under PIPL art. 47", "--set", "request_id=e2e-erase",
                              "--get", "erasure.at"});
  ASSERT_EQ(erased.code, 0) << erased.text;
  EXPECT_EQ(Get("admin", {"registry", "get-resident", "--set", std::string("patient.value=") + kPatient, "--get",
                          "identity.state"}),
            "IDENTITY_ERASED");
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        return Get("lead", {"referral", "get-referral", "--set", "referral_id=" + referral, "--get",
                            "referral.identity.state"}) == "IDENTITY_ERASED" &&
               Get("dispatch", {"greenchannel", "get-case", "--set", "case_id=" + case_id, "--get",
                                "current.identity.state"}) == "IDENTITY_ERASED";
      },
      std::chrono::seconds(120)));
  // No identity is taken for the erased patient again.
  auto refused =
      Call("township",
           {"referral", "submit", "--set", "referral.direction=UPWARD", "--set",
            "referral.receiver_institution_id=loudi-1st", "--set", std::string("referral.patient.value=") + kPatient,
            "--set", "referral.reason=again", "--set", "referral.priority=URGENT", "--set",
            "referral.requested_service=EXAMINATION", "--set", "request_id=e2e-submit-2"},
           true);
  EXPECT_NE(refused.code, 0);
  EXPECT_NE(refused.text.find("FAILED_PRECONDITION"), std::string::npos) << refused.text;

  // The audit: the erasure is archived, every entry of the patient says erased, the chain verifies.
  EXPECT_TRUE(testing::WaitFor([&] { return AuditCaughtUp(); }, std::chrono::seconds(180)));
  const Out replay = Ctl("auditor", {"audit", "replay", "--set", std::string("patient.value=") + kPatient, "--json"});
  ASSERT_EQ(replay.code, 0) << replay.text;
  int entries = 0, erased_entries = 0;
  for (const char* type : {"ResidentEnrolled", "ReferralSubmitted", "CaseOpened", "PatientErased"})
    EXPECT_NE(replay.text.find(type), std::string::npos) << type << "\n" << replay.text;
  // Who saw the patient is in the patient's history: the lead's get-referral and dispatch's
  // get-case showed the identity (the auditor's, withheld, and the reads after the erasure did not).
  int reveals = 0;
  for (size_t at = 0; (at = replay.text.find("yilian.common.v1.IdentityRevealed", at)) != std::string::npos; ++at)
    ++reveals;
  EXPECT_GE(reveals, 2) << replay.text;
  for (size_t at = 0; (at = replay.text.find("\"position\"", at)) != std::string::npos; ++at) ++entries;
  for (size_t at = 0; (at = replay.text.find("\"patient_erased\":true", at)) != std::string::npos; ++at)
    ++erased_entries;
  EXPECT_GE(entries, 4);
  EXPECT_EQ(erased_entries, entries) << replay.text;
  EXPECT_EQ(Get("auditor", {"audit", "verify", "--get", "intact"}), "true");

  // Nowhere in clear: every file, every RocksDB row, every Kafka message.
  const std::string bootstrap = [&] {
    std::string b;
    std::getline(std::ifstream(root_ + "/bootstrap"), b);
    return b;
  }();
  for (auto it = kServices.rbegin(); it != kServices.rend(); ++it) Stop(*it, SIGTERM);  // files at rest
  ExpectNowhere(Files(root_), "file");
  const auto rocks = RocksContents(root_);
  EXPECT_GE(rocks.size(), 7u);  // four services' stores, three key vaults
  ExpectNowhere(rocks, "RocksDB");
  const auto topics = TopicContents(bootstrap);
  EXPECT_TRUE(topics.count("yilian.registry.events")) << "the scan reached the broker";
  ExpectNowhere(topics, "topic");
}

}  // namespace
}  // namespace yilian::e2e
