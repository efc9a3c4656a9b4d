#include "stack.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/empty.pb.h"
#include "yilian/common/status_macros.h"
#include "yilian/host/grpc_status.h"

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
  // The archive leaves through the feed only to auditors, and every such read is on record
  // first, like the audit's own calls (nothing leaves the archive unrecorded).
  bus::FeedAuthorizer feed_readers = [auth = o.auth, calls = s->calls_.get()](
                                         const grpc::ServerContextBase& ctx, const char* method,
                                         const google::protobuf::Message& request) {
    auto who = auth->Authenticate(ctx);
    if (!who.ok()) return who.status();
    if (who->role != common::Role::ROLE_AUDITOR)
      return absl::PermissionDeniedError(
          absl::StrCat("the archive's catch-up feed is read by AUDITOR principals only; \"", who->subject, "\" is ",
                       common::RoleName(who->role)));
    // Which read: the method and what it asked (from where, how many, which aggregate).
    return calls->Record(*who, host::CorrelationId(ctx), absl::StrCat("EventFeed/", method).c_str(), request);
  };
  host::HostOptions host = o.host;
  host.health_names.push_back(v1::Audit::service_full_name());
  RETURN_IF_ERROR(s->core_->Serve(host, *o.auth, {s->api_.get()}, std::move(feed_readers)));
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
