#include "stack.h"

#include "yilian/bus/metrics.h"
#include "yilian/common/logging.h"
#include "yilian/common/status_macros.h"

namespace yilian::greenchannel {

using common::Role;

absl::StatusOr<std::unique_ptr<GreenChannelStack>> GreenChannelStack::Start(const StackOptions& o) {
  if (o.auth == nullptr) return absl::InvalidArgumentError("the green channel needs an authenticator");
  std::unique_ptr<GreenChannelStack> s(new GreenChannelStack());
  ASSIGN_OR_RETURN(s->store_, eventstore::Store::Open({.path = o.data_dir}));
  ASSIGN_OR_RETURN(s->journal_, eventstore::Journal::Open(s->store_.get(), {.source_service = "greenchannel",
                                                                            .projector = &s->projector_,
                                                                            .clock = o.clock}));
  if (o.rebuild) {
    RETURN_IF_ERROR(s->journal_->RebuildProjections());
    common::Logger().info("greenchannel: projections rebuilt from {} events", s->journal_->head().sequence);
  }
  if (o.use_bus) {
    ASSIGN_OR_RETURN(s->relay_, bus::OutboxRelay::Start(s->store_.get(), s->journal_.get(), {.kafka = o.kafka}));
  }
  s->registry_ = std::make_unique<registry_model::RegistryView>(s->store_.get(), eventstore::Family::kConsumed, "registry/");
  s->view_ = std::make_unique<BoardView>(s->store_.get());
  s->sites_ = std::make_unique<SiteDirectory>(s->registry_.get());
  s->writer_ = std::make_unique<BoardWriter>(s->journal_.get(), s->view_.get(), s->sites_.get(), o.clock, o.writer);
  s->intake_ = std::make_unique<Intake>(s->store_.get(), s->journal_.get(), s->writer_.get(), s->registry_.get(),
                                        s->sites_.get());
  if (o.use_bus) {
    bus::ConsumerOptions c;
    c.kafka = o.kafka;
    c.group_id = "greenchannel";
    c.sources = {"registry", "referral"};
    c.projector = &s->intake_projector_;
    c.feed = o.feed;
    c.clock = o.clock;
    Intake* intake = s->intake_.get();
    c.on_commit = [intake] { intake->Notify(); };
    ASSIGN_OR_RETURN(s->consumer_, bus::BusConsumer::Start(s->store_.get(), c));
  }
  s->expiry_ = std::make_unique<ExpiryTimer>(s->view_.get(), s->writer_.get(), o.expiry_poll);
  s->api_ = std::make_unique<GreenChannelService>(s->journal_.get(), s->view_.get(), s->writer_.get(),
                                                  s->registry_.get(), o.auth);
  s->feed_ = std::make_unique<eventstore::FeedService>(s->journal_.get(),
                                                       o.auth->RequireRoles({Role::ROLE_SERVICE, Role::ROLE_AUDITOR}));
  std::vector<grpc::Service*> services{s->api_.get(), s->feed_.get()};
  if (s->consumer_) {
    s->admin_ = std::make_unique<bus::BusAdminService>(
        s->consumer_.get(), o.auth->RequireRoles({Role::ROLE_CONSORTIUM_ADMIN, Role::ROLE_SERVICE, Role::ROLE_AUDITOR}));
    services.push_back(s->admin_.get());
  }
  ASSIGN_OR_RETURN(s->server_, host::ServiceHost::Start(o.host, *o.auth, services));
  bus::RegisterBusMetrics(o.host.metrics, s->journal_.get(), s->relay_.get(), s->consumer_.get());
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
  if (api_) api_->Stop();
  if (server_) server_->Shutdown(absl::Seconds(10));
  server_.reset();
  consumer_.reset();
  expiry_.reset();
  intake_.reset();
  relay_.reset();
  journal_.reset();
}

}  // namespace yilian::greenchannel
