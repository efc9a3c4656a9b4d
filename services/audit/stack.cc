#include "stack.h"

#include "yilian/common/status_macros.h"

namespace yilian::audit {

absl::StatusOr<std::unique_ptr<AuditStack>> AuditStack::Start(const StackOptions& o) {
  if (o.auth == nullptr) return absl::InvalidArgumentError("the audit service needs an authenticator");
  std::unique_ptr<AuditStack> s(new AuditStack());
  ASSIGN_OR_RETURN(s->core_, bus::ServiceCore::Open({.data_dir = o.data_dir,
                                                     .store_budget = o.store_budget,
                                                     .source_service = "audit",
                                                     .projector = &s->index_,
                                                     .rebuild = o.rebuild,
                                                     .clock = o.clock,
                                                     // its events wrap other services' (each within
                                                     // their own limit), and nothing relays them
                                                     .max_event_bytes = 0}));
  s->view_ = std::make_unique<ArchiveView>(&s->store(), &s->journal());
  s->archiver_ = std::make_unique<Archiver>(&s->store(), &s->journal());
  if (o.use_bus) {  // after each durable batch, the inbox looks for work
    auto* inbox = s->archiver_.get();
    RETURN_IF_ERROR(s->core_->StartConsumer({.kafka = o.kafka,
                                             .group_id = "audit",
                                             .sources = kSources,
                                             .projector = &s->archive_projector_,
                                             .feed = o.feed,
                                             .clock = o.clock,
                                             .on_commit = [inbox] { inbox->Notify(); }}));
  }
  s->calls_ = std::make_unique<CallRecorder>(&s->journal());
  s->api_ = std::make_unique<AuditService>(&s->journal(), s->view_.get(), s->archiver_.get(), s->calls_.get(), o.feed,
                                           o.auth);
  RETURN_IF_ERROR(s->core_->Serve(o.host, *o.auth, {s->api_.get()}));
  return s;
}

AuditStack::~AuditStack() {
  if (core_) {
    core_->StopServing();
    core_->StopConsumer();
  }
  archiver_.reset();
}

}  // namespace yilian::audit
