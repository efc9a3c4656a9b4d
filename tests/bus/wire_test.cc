#include "yilian/bus/wire.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "yilian/bus/kafka_settings.h"
#include "yilian/common/sha256.h"
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
  ASSERT_OK_AND_ASSIGN(
      auto config,
      common::Config::Load(KafkaConfigKeys("referral"),
                           {"--kafka.bootstrap=@" + file, "--kafka.properties=security.protocol=SSL"}, none));
  ASSERT_OK_AND_ASSIGN(KafkaSettings s, KafkaSettingsFrom(config));
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
