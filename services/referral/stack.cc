#include "stack.h"

#include "yilian/bus/metrics.h"
#include "yilian/common/logging.h"
#include "yilian/common/status_macros.h"

namespace yilian::referral {

using common::Role;

absl::StatusOr<std::unique_ptr<ReferralStack>> ReferralStack::Start(const StackOptions& o) {
  if (o.auth == nullptr) return absl::InvalidArgumentError("the referral service needs an authenticator");
  std::unique_ptr<ReferralStack> s(new ReferralStack());
  ASSIGN_OR_RETURN(s->store_, eventstore::Store::Open({.path = o.data_dir}));
  ASSIGN_OR_RETURN(s->journal_, eventstore::Journal::Open(s->store_.get(), {.source_service = "referral",
                                                                            .projector = &s->projector_,
                                                                            .clock = o.clock}));
  if (o.rebuild) {
    RETURN_IF_ERROR(s->journal_->RebuildProjections());
    common::Logger().info("referral: projection rebuilt from {} events", s->journal_->head().sequence);
  }
  if (o.use_bus) {
    ASSIGN_OR_RETURN(s->relay_, bus::OutboxRelay::Start(s->store_.get(), s->journal_.get(), {.kafka = o.kafka}));
  }
  s->registry_ = std::make_unique<registry_model::RegistryView>(s->store_.get(), eventstore::Family::kConsumed, "registry/");
  s->directory_ = std::make_unique<MirrorDirectory>(s->registry_.get());
  s->view_ = std::make_unique<ReferralView>(s->store_.get());
  s->writer_ = std::make_unique<ReferralWriter>(s->journal_.get(), s->view_.get(), o.clock);
  s->intake_ = std::make_unique<Intake>(s->store_.get(), s->journal_.get(), s->writer_.get());
  if (o.use_bus) {
    bus::ConsumerOptions c;
    c.kafka = o.kafka;
    c.group_id = "referral";
    c.sources = {"registry", "greenchannel"};
    c.projector = &s->intake_projector_;
    c.feed = o.feed;
    c.clock = o.clock;
    Intake* intake = s->intake_.get();
    c.on_commit = [intake] { intake->Notify(); };
    ASSIGN_OR_RETURN(s->consumer_, bus::BusConsumer::Start(s->store_.get(), c));
  }
  s->timers_ = std::make_unique<DeadlineTimer>(s->view_.get(), s->writer_.get(), o.timer_poll);
  s->api_ = std::make_unique<ReferralService>(s->writer_.get(), s->view_.get(), s->journal_.get(), s->directory_.get(),
                                              o.auth, o.deadlines, o.slots);
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
  return s;
}

ReferralStack::~ReferralStack() {
  if (server_) server_->Shutdown(absl::Seconds(10));
  server_.reset();
  consumer_.reset();
  timers_.reset();
  intake_.reset();
  relay_.reset();
  journal_.reset();
}

}  // namespace yilian::referral
