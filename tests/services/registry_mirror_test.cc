// Another service mirrors the registry: the same RegistryProjector, fed by a BusConsumer
// through the embedded broker into its consumed family under a prefix, answers every query
// exactly as the registry does.
#include <gtest/gtest.h>

#include "import.h"
#include "registry_node.h"
#include "yilian/bus/consumer.h"
#include "yilian/bus/embedded_broker.h"
#include "yilian/bus/relay.h"
#include "yilian/testing/bus_keys.h"
#include "yilian/testing/status_matchers.h"
#include "yilian/testing/temp_dir.h"
#include "yilian/testing/wait.h"

namespace yilian::registry {

namespace rv1 = ::yilian::registry::v1;
namespace {

// Every list the view serves, in one page each, as bytes.
std::string Everything(const RegistryView& view) {
  std::string out;
  rv1::ListInstitutionsRequest all;
  all.mutable_page()->set_page_size(500);
  auto institutions = view.ListInstitutions(all);
  EXPECT_OK(institutions.status());
  out += institutions->SerializeAsString();
  rv1::ListConsortiaRequest consortia;
  consortia.mutable_page()->set_page_size(500);
  out += view.ListConsortia(consortia)->SerializeAsString();
  for (const auto& i : institutions->institutions()) {
    rv1::ListWardsRequest w;
    w.set_institution_id(i.institution().institution_id());
    w.mutable_page()->set_page_size(500);
    out += view.ListWards(w)->SerializeAsString();
    rv1::ListExpertSessionsRequest s;
    s.set_institution_id(i.institution().institution_id());
    s.mutable_page()->set_page_size(500);
    out += view.ListSessions(s)->SerializeAsString();
    out += std::to_string(view.ConsortiaOf(i.institution().institution_id()).size());
  }
  return out;
}

TEST(RegistryMirrorTest, AConsumingServiceAnswersLikeTheRegistry) {
  testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto broker, bus::EmbeddedBroker::Start({}));
  RegistryNode registry(dir.Sub("registry"));
  ASSERT_OK_AND_ASSIGN(auto relay,
                       bus::OutboxRelay::Start(registry.store.get(), registry.journal.get(),
                                               {.kafka = yilian::testing::TestKafka(broker->bootstrap(), "registry")}));
  ASSERT_OK_AND_ASSIGN(ImportPlan plan, ParseImportFile(YILIAN_SAMPLE_FILE));
  ASSERT_OK(Import(*registry.stub, "admin", plan).status());

  ASSERT_OK_AND_ASSIGN(auto store, eventstore::Store::Open({.path = dir.Sub("greenchannel")}));
  RegistryProjector mirror("registry/");
  bus::ConsumerOptions options;
  options.kafka = yilian::testing::TestKafka(broker->bootstrap(), "greenchannel", {{"session.timeout.ms", "6000"}});
  options.group_id = "greenchannel";
  options.sources = {"registry"};
  options.projector = &mirror;
  ASSERT_OK_AND_ASSIGN(auto consumer, bus::BusConsumer::Start(store.get(), options));
  const int64_t events = registry.Head();
  ASSERT_TRUE(testing::WaitFor([&] { return consumer->status().applied() == events; }, std::chrono::seconds(180)))
      << consumer->status().DebugString();
  consumer.reset();

  RegistryView mirrored(store.get(), eventstore::Family::kConsumed, "registry/");
  const std::string want = Everything(*registry.view);
  EXPECT_GT(want.size(), 1000u);
  EXPECT_EQ(Everything(mirrored), want);
  auto lead = mirrored.FindInstitution("loudi-1st");
  ASSERT_TRUE(lead.has_value());
  EXPECT_EQ(lead->tier(), 3);
}

}  // namespace
}  // namespace yilian::registry
