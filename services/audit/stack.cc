#include "stack.h"

#include "yilian/bus/metrics.h"
#include "yilian/common/logging.h"
#include "yilian/common/status_macros.h"

namespace yilian::audit {

using common::Role;

absl::StatusOr<std::unique_ptr<AuditStack>> AuditStack::Start(const StackOptions& o) {
  if (o.auth == nullptr) return absl::InvalidArgumentError("the audit service needs an authenticator");
  std::unique_ptr<AuditStack> s(new AuditStack());
  ASSIGN_OR_RETURN(s->store_, eventstore::Store::Open({.path = o.data_dir}));
  ASSIGN_OR_RETURN(s->journal_, eventstore::Journal::Open(s->store_.get(), {.source_service = "audit",
                                                                            .projector = &s->index_,
                                                                            .clock = o.clock}));
  if (o.rebuild) {
    RETURN_IF_ERROR(s->journal_->RebuildProjections());
    common::Logger().info("audit: indexes rebuilt from {} archive entries", s->journal_->head().sequence);
  }
  s->view_ = std::make_unique<ArchiveView>(s->store_.get(), s->journal_.get());
  s->archiver_ = std::make_unique<Archiver>(s->store_.get(), s->journal_.get());
  if (o.use_bus) {
    bus::ConsumerOptions c;
    c.kafka = o.kafka;
    c.group_id = "audit";
    c.sources = kSources;
    c.projector = &s->archive_projector_;
    c.feed = o.feed;
    c.clock = o.clock;
    Archiver* archiver = s->archiver_.get();
    c.on_commit = [archiver] { archiver->Notify(); };
    ASSIGN_OR_RETURN(s->consumer_, bus::BusConsumer::Start(s->store_.get(), c));
  }
  s->api_ = std::make_unique<AuditService>(s->journal_.get(), s->view_.get(), s->archiver_.get(), o.feed, o.auth);
  s->feed_ = std::make_unique<eventstore::FeedService>(s->journal_.get(),
                                                       o.auth->RequireRoles({Role::ROLE_SERVICE, Role::ROLE_AUDITOR}));
  std::vector<grpc::Service*> services{s->api_.get(), s->feed_.get()};
  if (s->consumer_) {
    s->admin_ = std::make_unique<bus::BusAdminService>(
        s->consumer_.get(), o.auth->RequireRoles({Role::ROLE_CONSORTIUM_ADMIN, Role::ROLE_SERVICE, Role::ROLE_AUDITOR}));
    services.push_back(s->admin_.get());
  }
  ASSIGN_OR_RETURN(s->server_, host::ServiceHost::Start(o.host, *o.auth, services));
  bus::RegisterBusMetrics(o.host.metrics, s->journal_.get(), nullptr, s->consumer_.get());
  return s;
}

AuditStack::~AuditStack() {
  if (server_) server_->Shutdown(absl::Seconds(10));
  server_.reset();
  consumer_.reset();
  archiver_.reset();
  journal_.reset();
}

}  // namespace yilian::audit
