#include "stack.h"

#include "yilian/common/status_macros.h"
#include "yilian/privacy/config.h"

namespace yilian::referral {

absl::StatusOr<std::unique_ptr<ReferralStack>> ReferralStack::Start(const StackOptions& o) {
  if (o.auth == nullptr) return absl::InvalidArgumentError("the referral service needs an authenticator");
  std::unique_ptr<ReferralStack> s(new ReferralStack());
  ASSIGN_OR_RETURN(s->vault_, privacy::OpenVault(o.keys_dir, o.data_dir, o.master_key));
  s->intake_projector_.registry().SetOnErased(
      [vault = s->vault_.get()](const std::string& patient, int64_t at_ms) { return vault->Erase(patient, at_ms); });
  ASSIGN_OR_RETURN(s->core_, bus::ServiceCore::Open({.data_dir = o.data_dir,
                                                     .store_budget = o.store_budget,
                                                     .source_service = "referral",
                                                     .projector = &s->projector_,
                                                     .rebuild = o.rebuild,
                                                     .clock = o.clock}));
  if (o.use_bus) RETURN_IF_ERROR(s->core_->StartRelay(o.kafka));
  s->registry_ =
      std::make_unique<registry_model::RegistryView>(&s->store(), eventstore::Family::kConsumed, "registry/");
  s->directory_ = std::make_unique<MirrorDirectory>(s->registry_.get());
  s->view_ = std::make_unique<ReferralView>(&s->store());
  s->shape_ = std::make_unique<ReplyShape>(s->directory_.get(), s->vault_.get(), o.clock);
  s->commands_ =
      std::make_unique<ReferralCommands>(&s->journal(), s->view_.get(), s->directory_.get(), s->vault_.get(),
                                         s->shape_.get(), o.clock, ReferralCommands::Options{o.deadlines, o.slots});
  s->intake_ = std::make_unique<Intake>(&s->store(), &s->journal(), s->view_.get(), s->commands_.get());
  if (o.use_bus) {  // after each durable batch, the inbox looks for work
    auto* inbox = s->intake_.get();
    RETURN_IF_ERROR(s->core_->StartConsumer({.kafka = o.kafka,
                                             .group_id = "referral",
                                             .sources = {"registry", "greenchannel"},
                                             .projector = &s->intake_projector_,
                                             .feed = o.feed,
                                             .clock = o.clock,
                                             .on_commit = [inbox] { inbox->Notify(); }}));
  }
  s->timers_ = std::make_unique<DeadlineTimer>(s->view_.get(), s->directory_.get(), s->commands_.get(), o.timer_poll);
  s->queries_ = std::make_unique<ReferralQueries>(s->view_.get(), &s->journal(), s->directory_.get(), s->shape_.get(),
                                                  o.clock, o.slots);
  s->reveals_ = std::make_unique<command::RevealRecorder>(&s->journal(), "referral");
  s->watcher_ = std::make_unique<WorklistWatcher>(&s->journal(), s->view_.get(), s->directory_.get(), s->shape_.get());
  s->api_ = std::make_unique<ReferralService>(s->commands_.get(), s->queries_.get(), s->watcher_.get(),
                                              s->reveals_.get(), o.auth);
  host::HostOptions host = o.host;
  host.health_names.push_back(v1::Referrals::service_full_name());
  RETURN_IF_ERROR(s->core_->Serve(host, *o.auth, {s->api_.get()}));
  return s;
}

ReferralStack::~ReferralStack() {
  if (watcher_) watcher_->Stop();  // open watches end, so the server can stop
  if (core_) {
    core_->StopServing();
    core_->StopConsumer();
  }
  timers_.reset();
  intake_.reset();
  commands_.reset();
}

}  // namespace yilian::referral
