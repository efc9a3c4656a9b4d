#include "yilian/bus/wire.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "yilian/bus/bus_keys.h"
#include "yilian/bus/kafka_settings.h"
#include "yilian/bus/topic_limit.h"
#include "yilian/common/sha256.h"
#include "yilian/testing/bus_keys.h"
#include "yilian/testing/status_matchers.h"
#include "yilian/testing/temp_dir.h"

namespace yilian::bus {
namespace {

TEST(WireTest, PartitionForSpreadsKeysAndIsStable) {
  EXPECT_EQ(PartitionFor("", 4), PartitionFor("", 4));
  std::set<int32_t> seen;
  for (int i = 0; i < 1000; ++i) {
    const int32_t p = PartitionFor("agg-" + std::to_string(i), 4);
    ASSERT_GE(p, 0);
    ASSERT_LT(p, 4);
    seen.insert(p);
  }
  EXPECT_EQ(seen.size(), 4u) << "1000 keys should use every partition";
  EXPECT_EQ(PartitionFor("referral-42", 12), PartitionFor("referral-42", 12));
}

TEST(WireTest, HeadersRoundTripThroughAMessage) {
  WireHeaders h{"referral.ReferralRequested", "referral", 17, 9, common::Sha256("value")};
  rd_kafka_headers_t* hdrs = NewHeaders(h);
  ASSERT_OK_AND_ASSIGN(WireHeaders back, ReadHeaders(hdrs));
  EXPECT_EQ(back.type, h.type);
  EXPECT_EQ(back.source, h.source);
  EXPECT_EQ(back.sequence, 17);
  EXPECT_EQ(back.previous, 9);
  EXPECT_EQ(back.hash, h.hash);
  rd_kafka_headers_destroy(hdrs);
}

TEST(WireTest, ASignedMessageCarriesItsKeyAndMacThroughKafkaHeaders) {
  const BusKeys keys = yilian::testing::TestBusKeys();
  WireHeaders h{"referral.ReferralRequested", "referral", 17, 9, common::Sha256("value")};
  ASSERT_OK(keys.Sign(h));
  EXPECT_EQ(h.key_id, "test-1");
  EXPECT_EQ(h.mac.size(), 32u);
  rd_kafka_headers_t* hdrs = NewHeaders(h);
  ASSERT_OK_AND_ASSIGN(WireHeaders back, ReadHeaders(hdrs));
  rd_kafka_headers_destroy(hdrs);
  EXPECT_EQ(back.key_id, "test-1");
  EXPECT_EQ(back.mac, h.mac);
  EXPECT_OK(keys.Verify("referral", back));

  WireHeaders bad_mac = h;
  bad_mac.mac = "short";
  hdrs = NewHeaders(bad_mac);
  EXPECT_CODE(ReadHeaders(hdrs).status(), kInvalidArgument);
  rd_kafka_headers_destroy(hdrs);
}

TEST(BusKeysTest, EveryClaimAConsumerReliesOnIsCoveredByTheMac) {
  const BusKeys keys = yilian::testing::TestBusKeys();
  WireHeaders h{"registry.PatientErased", "registry", 40, 12, common::Sha256("value")};
  ASSERT_OK(keys.Sign(h));
  ASSERT_OK(keys.Verify("registry", h));
  std::vector<std::pair<std::string, WireHeaders>> forged;
  auto with = [&](const char* what, auto change) {
    WireHeaders f = h;
    change(f);
    forged.emplace_back(what, f);
  };
  with("sequence", [](WireHeaders& f) { f.sequence = int64_t{1} << 62; });
  with("previous", [](WireHeaders& f) { f.previous = 39; });
  with("type", [](WireHeaders& f) { f.type = "registry.ConsortiumFormed"; });
  with("hash", [](WireHeaders& f) { f.hash = common::Sha256("other value"); });
  with("stand-in", [](WireHeaders& f) { f.stand_in = true; });
  with("partition", [](WireHeaders& f) { f.partition = 3; });
  with("unsigned", [](WireHeaders& f) { f.mac.clear(), f.key_id.clear(); });
  with("unknown key", [](WireHeaders& f) { f.key_id = "evil"; });
  for (const auto& [what, f] : forged) EXPECT_CODE(keys.Verify("registry", f), kPermissionDenied) << what;
  // Signed by referral's own key, replayed onto the registry's topic.
  WireHeaders other{"registry.PatientErased", "referral", 40, 12, common::Sha256("value")};
  ASSERT_OK(keys.Sign(other));
  EXPECT_CODE(keys.Verify("registry", other), kPermissionDenied);
  // Signed with another secret under the right key id.
  const BusKeys stranger = *BusKeys::Parse("registry test-1 " + std::string(64, '7'));
  WireHeaders strangers = h;
  ASSERT_OK(stranger.Sign(strangers));
  EXPECT_CODE(keys.Verify("registry", strangers), kPermissionDenied);
  EXPECT_NE(std::string(keys.Verify("registry", strangers).message()).find("does not verify"), std::string::npos);
}

TEST(BusKeysTest, RotationSignsWithTheNewestKeyAndStillVerifiesTheOld) {
  const std::string old_key(64, '1'), new_key(64, '2');
  ASSERT_OK_AND_ASSIGN(BusKeys before, BusKeys::Parse("# comment\nregistry 2026-11 " + old_key + "\n"));
  ASSERT_OK_AND_ASSIGN(BusKeys after,
                       BusKeys::Parse("registry 2026-11 " + old_key + "  # old\nregistry 2026-12 " + new_key + "\n"));
  WireHeaders signed_before{"t", "registry", 3, 0, common::Sha256("v")};
  ASSERT_OK(before.Sign(signed_before));
  WireHeaders signed_after = signed_before;
  ASSERT_OK(after.Sign(signed_after));
  EXPECT_EQ(signed_after.key_id, "2026-12");
  EXPECT_OK(after.Verify("registry", signed_before));
  EXPECT_OK(after.Verify("registry", signed_after));
  EXPECT_CODE(before.Verify("registry", signed_after), kPermissionDenied);
  EXPECT_FALSE(before.HasKeyFor("referral"));
  WireHeaders nobody{"t", "referral", 3, 0, common::Sha256("v")};
  EXPECT_CODE(before.Sign(nobody), kFailedPrecondition);
}

TEST(BusKeysTest, AKeysFileWithAMistakeNamesItsLine) {
  auto error = [](const std::string& text) { return std::string(BusKeys::Parse(text).status().message()); };
  EXPECT_NE(error("registry k1\n").find("line 1"), std::string::npos);
  EXPECT_NE(error("\nregistry k1 abc\n").find("line 2: the key must be 64 hex digits"), std::string::npos);
  EXPECT_NE(error("Registry! k1 " + std::string(64, 'a')).find("not a service name"), std::string::npos);
  EXPECT_NE(error("registry k/1 " + std::string(64, 'a')).find("key id"), std::string::npos);
  EXPECT_NE(error("registry k1 " + std::string(64, 'a') + "\nregistry k1 " + std::string(64, 'b')).find("twice"),
            std::string::npos);
  EXPECT_CODE(BusKeys::Load("/nonexistent/bus.keys").status(), kFailedPrecondition);
}

TEST(TopicLimitTest, AServiceRefusesATopicThatWouldRefuseItsEvents) {
  EXPECT_OK(CheckTopicTakes("yilian.referral.events", 1'048'588, 256 << 10, 16 << 10));
  auto small = CheckTopicTakes("yilian.referral.events", 200'000, 256 << 10, 16 << 10);
  EXPECT_CODE(small, kFailedPrecondition);
  EXPECT_NE(std::string(small.message()).find("max.message.bytes"), std::string::npos) << small;
  EXPECT_NE(std::string(small.message()).find(std::to_string((256 << 10) + (16 << 10))), std::string::npos) << small;
  EXPECT_CODE(CheckTopicTakes("t", 1 << 30, 0, 16 << 10), kFailedPrecondition);  // a journal without a limit
}

TEST(WireTest, MissingOrInconsistentHeadersAreNamed) {
  const rd_kafka_headers_t* none = nullptr;
  EXPECT_CODE(ReadHeaders(none).status(), kInvalidArgument);
  EXPECT_NE(std::string(ReadHeaders(none).status().message()).find("yilian-type"), std::string::npos);

  rd_kafka_headers_t* hdrs = NewHeaders({"t", "s", 5, 5, common::Sha256("x")});  // previous must be < sequence
  EXPECT_CODE(ReadHeaders(hdrs).status(), kInvalidArgument);
  rd_kafka_headers_destroy(hdrs);
}

TEST(KafkaSettingsTest, PropertiesParseAndPassThrough) {
  ASSERT_OK_AND_ASSIGN(auto props, ParseKafkaProperties("security.protocol=SASL_SSL; sasl.mechanism=SCRAM-SHA-512\n"
                                                        "sasl.username=yilian;sasl.password=s=cret"));
  EXPECT_EQ(props.size(), 4u);
  EXPECT_EQ(props["sasl.password"], "s=cret");
  EXPECT_CODE(ParseKafkaProperties("novalue").status(), kInvalidArgument);
  EXPECT_CODE(ParseKafkaProperties("=x").status(), kInvalidArgument);

  KafkaSettings s{"127.0.0.1:9092", "registry", {{"socket.keepalive.enable", "true"}, {"acks", "0"}}};
  ASSERT_OK_AND_ASSIGN(rd_kafka_conf_t * conf, NewKafkaConf(s, {{"acks", "all"}}));
  char buf[64];
  size_t n = sizeof buf;
  ASSERT_EQ(rd_kafka_conf_get(conf, "acks", buf, &n), RD_KAFKA_CONF_OK);
  EXPECT_STREQ(buf, "-1") << "Yilian's fixed settings win over passed-through ones";
  n = sizeof buf;
  ASSERT_EQ(rd_kafka_conf_get(conf, "client.id", buf, &n), RD_KAFKA_CONF_OK);
  EXPECT_STREQ(buf, "registry");
  rd_kafka_conf_destroy(conf);

  s.properties = {{"no.such.property", "1"}};
  auto bad = NewKafkaConf(s, {});
  EXPECT_CODE(bad.status(), kInvalidArgument);
  EXPECT_NE(std::string(bad.status().message()).find("no.such.property"), std::string::npos);
  EXPECT_CODE(NewKafkaConf(KafkaSettings{}, {}).status(), kInvalidArgument);
}

// The production profile talks to Kafka over TLS with SASL: the librdkafka this build links
// must take those settings and make a client with them (one without SSL or SASL support refuses
// at rd_kafka_new). No broker is contacted.
TEST(KafkaSettingsTest, TheLinkedLibrdkafkaMakesTlsAndSaslClients) {
  for (const char* protocol : {"ssl", "sasl_ssl"}) {
    KafkaSettings s{"127.0.0.1:1",
                    "registry",
                    {{"security.protocol", protocol},
                     {"sasl.mechanism", "SCRAM-SHA-512"},
                     {"sasl.username", "yilian"},
                     {"sasl.password", "secret"}}};
    ASSERT_OK_AND_ASSIGN(rd_kafka_conf_t * conf, NewKafkaConf(s, {}));
    char err[512];
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    ASSERT_NE(rk, nullptr) << protocol << ": " << err;
    rd_kafka_destroy(rk);
  }
}

TEST(KafkaSettingsTest, ComeFromConfigWithTheBootstrapFromAFile) {
  testing::TempDir dir;
  const std::string file = dir.Sub("bootstrap");
  std::ofstream(file) << "127.0.0.1:1234,127.0.0.1:5678\n";
  auto none = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  ASSERT_OK_AND_ASSIGN(auto config,
                       common::Config::Load(KafkaConfigKeys("referral"),
                                            {"--kafka.bootstrap=@" + file, "--kafka.properties=security.protocol=SSL",
                                             "--bus.keys_file=" + dir.Sub("bus.keys")},
                                            none));
  EXPECT_CODE(KafkaSettingsFrom(config).status(), kFailedPrecondition);  // no keys file yet
  std::ofstream(dir.Sub("bus.keys")) << yilian::testing::TestBusKeysText();
  ASSERT_OK_AND_ASSIGN(KafkaSettings s, KafkaSettingsFrom(config));
  EXPECT_TRUE(s.keys.HasKeyFor("referral"));
  EXPECT_EQ(s.bootstrap, "127.0.0.1:1234,127.0.0.1:5678");
  EXPECT_EQ(s.client_id, "referral");
  EXPECT_EQ(s.properties.at("security.protocol"), "SSL");

  ASSERT_OK_AND_ASSIGN(
      config, common::Config::Load(KafkaConfigKeys("referral"), {"--kafka.bootstrap=@" + dir.Sub("missing")}, none));
  EXPECT_CODE(KafkaSettingsFrom(config).status(), kInvalidArgument);
  EXPECT_FALSE(common::Config::Load(KafkaConfigKeys("referral"), {"--kafka.properties=oops"}, none).ok());
}

}  // namespace
}  // namespace yilian::bus
