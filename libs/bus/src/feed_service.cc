#include "yilian/bus/feed_service.h"

#include "absl/strings/str_cat.h"
#include "yilian/host/grpc_status.h"

namespace yilian::bus {

using eventstore::JournalEntry;

namespace {
constexpr size_t kMaxBatchBytes = 1 << 20;

// Accumulates entries and writes a batch when it is full. Reports a broken stream or a
// cancelled call (checked once per batch: IsCancelled is dear, about 20 us on this VM).
class BatchWriter {
 public:
  BatchWriter(grpc::ServerContext* ctx, grpc::ServerWriter<feed::v1::JournalBatch>* out, int max_entries, int64_t head)
      : ctx_(ctx), out_(out), max_entries_(max_entries) {
    batch_.set_head_sequence(head);
  }
  bool Add(const JournalEntry& e) {
    auto* entry = batch_.add_entries();
    entry->set_sequence(e.sequence);
    entry->set_envelope(e.envelope.data(), e.envelope.size());
    entry->set_hash(e.hash.data(), e.hash.size());
    bytes_ += e.envelope.size() + 48;
    if (batch_.entries_size() >= max_entries_ || bytes_ >= kMaxBatchBytes) return Flush();
    return true;
  }
  bool Flush() {
    if (batch_.entries_size() == 0) return true;
    ok_ = !ctx_->IsCancelled() && out_->Write(batch_);
    batch_.clear_entries();
    bytes_ = 0;
    return ok_;
  }
  bool ok() const { return ok_; }

 private:
  grpc::ServerContext* ctx_;
  grpc::ServerWriter<feed::v1::JournalBatch>* out_;
  int max_entries_;
  feed::v1::JournalBatch batch_;
  size_t bytes_ = 0;
  bool ok_ = true;
};
}  // namespace

FeedAuthorizer ReadersOf(host::Authorizer authorize) {
  return [authorize = std::move(authorize)](const grpc::ServerContextBase& ctx, const char*,
                                            const google::protobuf::Message&) { return authorize(ctx); };
}

grpc::Status FeedService::ReadJournal(grpc::ServerContext* ctx, const feed::v1::ReadJournalRequest* req,
                                      grpc::ServerWriter<feed::v1::JournalBatch>* out) {
  // The head as the call found it: a record the authorizer appends (the audit's) is not part
  // of what this read serves.
  const int64_t head = journal_->head().sequence;
  if (auto s = authorize_(*ctx, "ReadJournal", *req); !s.ok()) return host::ToGrpcStatus(s);
  if (req->from_sequence() < 0 || req->max_entries() < 0)
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "from_sequence and max_entries must not be negative");
  const int64_t available = std::max<int64_t>(0, head - std::max<int64_t>(req->from_sequence(), 1) + 1);
  const int64_t max = req->max_entries() > 0 ? std::min<int64_t>(req->max_entries(), available) : available;
  if (max == 0) return grpc::Status::OK;
  BatchWriter writer(ctx, out, max_batch_, head);
  auto n = journal_->Read(req->from_sequence(), max, [&](const JournalEntry& e) { return writer.Add(e); });
  if (!n.ok()) return host::ToGrpcStatus(n.status());
  if (!writer.Flush() || ctx->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "client went away");
  return grpc::Status::OK;
}

grpc::Status FeedService::ReadAggregate(grpc::ServerContext* ctx, const feed::v1::ReadAggregateRequest* req,
                                        grpc::ServerWriter<feed::v1::JournalBatch>* out) {
  const int64_t head = journal_->head().sequence;  // as the call found it (above)
  if (auto s = authorize_(*ctx, "ReadAggregate", *req); !s.ok()) return host::ToGrpcStatus(s);
  if (req->aggregate_type().empty() || req->aggregate_id().empty())
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "aggregate_type and aggregate_id are required");
  BatchWriter writer(ctx, out, max_batch_, head);
  auto n = journal_->ReadAggregate(req->aggregate_type(), req->aggregate_id(), req->from_version(),
                                   [&](const JournalEntry& e) { return writer.Add(e); });
  if (!n.ok()) return host::ToGrpcStatus(n.status());
  if (!writer.Flush() || ctx->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "client went away");
  return grpc::Status::OK;
}

grpc::Status FeedService::Head(grpc::ServerContext* ctx, const feed::v1::HeadRequest* req,
                               feed::v1::HeadResponse* out) {
  auto head = journal_->head();  // as the call found it (above)
  if (auto s = authorize_(*ctx, "Head", *req); !s.ok()) return host::ToGrpcStatus(s);
  out->set_head_sequence(head.sequence);
  out->set_head_hash(head.hash);
  out->set_source_service(journal_->source_service());
  return grpc::Status::OK;
}

}  // namespace yilian::bus
