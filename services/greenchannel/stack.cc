#include "stack.h"

#include "yilian/common/status_macros.h"
#include "yilian/host/metrics.h"
#include "yilian/privacy/config.h"

namespace yilian::greenchannel {

namespace gv1 = ::yilian::greenchannel::v1;

absl::StatusOr<std::unique_ptr<GreenChannelStack>> GreenChannelStack::Start(const StackOptions& o) {
  if (o.auth == nullptr) return absl::InvalidArgumentError("the green channel needs an authenticator");
  std::unique_ptr<GreenChannelStack> s(new GreenChannelStack());
  ASSIGN_OR_RETURN(s->vault_, privacy::OpenVault(o.keys_dir, o.data_dir, o.master_key));
  s->intake_projector_.registry().SetOnErased(
      [vault = s->vault_.get()](const std::string& patient, int64_t at_ms) { return vault->Erase(patient, at_ms); });
  ASSIGN_OR_RETURN(s->core_, bus::ServiceCore::Open({.data_dir = o.data_dir,
                                                     .store_budget = o.store_budget,
                                                     .source_service = "greenchannel",
                                                     .projector = &s->projector_,
                                                     .rebuild = o.rebuild,
                                                     .clock = o.clock}));
  if (o.use_bus) RETURN_IF_ERROR(s->core_->StartRelay(o.kafka));
  s->registry_ =
      std::make_unique<registry_model::RegistryView>(&s->store(), eventstore::Family::kConsumed, "registry/");
  s->view_ = std::make_unique<BoardView>(&s->store());
  s->sites_ = std::make_unique<SiteDirectory>(s->registry_.get());
  s->board_ = std::make_unique<Board>(&s->journal(), s->view_.get(), s->sites_.get(), o.clock, o.board);
  s->cases_ = std::make_unique<CaseCommands>(s->board_.get(), s->vault_.get());
  s->beds_ = std::make_unique<BedCommands>(s->board_.get());
  s->intake_ =
      std::make_unique<Intake>(&s->store(), &s->journal(), s->beds_.get(), s->registry_.get(), s->sites_.get());
  if (o.use_bus) {  // after each durable batch, the inbox looks for work
    auto* inbox = s->intake_.get();
    RETURN_IF_ERROR(s->core_->StartConsumer({.kafka = o.kafka,
                                             .group_id = "greenchannel",
                                             .sources = {"registry", "referral"},
                                             .projector = &s->intake_projector_,
                                             .feed = o.feed,
                                             .clock = o.clock,
                                             .on_commit = [inbox] { inbox->Notify(); }}));
  }
  s->expiry_ = std::make_unique<ExpiryTimer>(s->board_.get(), s->cases_.get(), s->beds_.get(), o.expiry_poll);
  s->queries_ = std::make_unique<BoardQueries>(&s->journal(), s->view_.get(), s->registry_.get(), s->vault_.get());
  s->reveals_ = std::make_unique<command::RevealRecorder>(&s->journal(), "greenchannel");
  s->inbound_ = std::make_unique<InboundQueries>(&s->journal(), s->view_.get(), s->queries_.get());
  s->api_ = std::make_unique<GreenChannelService>(s->cases_.get(), s->beds_.get(), s->queries_.get(), s->inbound_.get(),
                                                  s->reveals_.get(), s->registry_.get(), o.auth);
  host::HostOptions host = o.host;
  host.health_names.push_back(v1::GreenChannel::service_full_name());
  RETURN_IF_ERROR(s->core_->Serve(host, *o.auth, {s->api_.get()}));
  if (o.host.metrics != nullptr) {  // the bed board's occupancy, per ward
    const BoardView* view = s->view_.get();
    auto per_ward = [view](auto value) {
      return [view, value] {
        std::vector<std::pair<host::Metrics::Labels, double>> out;
        (void)view->ForEachWard("", [&](const gv1::WardStatus& w) {
          out.push_back({{{"institution", w.board().institution_id()}, {"ward", w.board().ward_id()}}, value(w)});
          return true;
        });
        return out;
      };
    };
    o.host.metrics->Gauges("yilian_beds_held", "beds held for patients on their way",
                           per_ward([](const gv1::WardStatus& w) { return static_cast<double>(w.held()); }));
    o.host.metrics->Gauges("yilian_beds_occupied", "beds occupied",
                           per_ward([](const gv1::WardStatus& w) { return static_cast<double>(w.occupied()); }));
    o.host.metrics->Gauges("yilian_beds_free", "beds free for any hold",
                           per_ward([](const gv1::WardStatus& w) { return static_cast<double>(w.free_general()); }));
  }
  return s;
}

GreenChannelStack::~GreenChannelStack() {
  if (queries_) queries_->Stop();
  if (inbound_) inbound_->Stop();
  if (core_) {
    core_->StopServing();
    core_->StopConsumer();
  }
  expiry_.reset();
  intake_.reset();
  beds_.reset();
  cases_.reset();
}

}  // namespace yilian::greenchannel
