#include "replay.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "yilian/common/status_macros.h"
#include "yilian/common/timestamp.h"

namespace yilian::audit {

namespace av1 = ::yilian::audit::v1;

namespace {

// The index a scoped replay walks ("" for a time window) and where it starts.
struct Walk {
  std::string prefix;
  std::string start;
};

Walk WalkOf(const av1::ReplayRequest& req) {
  const int64_t after = std::max<int64_t>(0, req.after_position());
  Walk w;
  switch (req.scope_case()) {
    case av1::ReplayRequest::kAggregate: {
      const auto& a = req.aggregate();
      w.prefix = AggregatePrefix(a.source_service(), a.aggregate_type(), a.aggregate_id());
      break;
    }
    case av1::ReplayRequest::kPatient:
      w.prefix = PatientPrefix(req.patient().value());
      break;
    case av1::ReplayRequest::kInstitutionId:
      w.prefix = InstitutionPrefix(req.institution_id());
      break;
    default:
      return w;
  }
  w.start = w.prefix + eventstore::EncodeU64(static_cast<uint64_t>(after + 1));
  return w;
}

}  // namespace

absl::Status CheckReplay(const av1::ReplayRequest& req) {
  switch (req.scope_case()) {
    case av1::ReplayRequest::kAggregate: {
      const auto& a = req.aggregate();
      if (a.source_service().empty() || a.aggregate_type().empty() || a.aggregate_id().empty())
        return absl::InvalidArgumentError("aggregate needs source_service, aggregate_type and aggregate_id");
      break;
    }
    case av1::ReplayRequest::kPatient:
      if (req.patient().value().empty()) return absl::InvalidArgumentError("patient is empty");
      break;
    case av1::ReplayRequest::kInstitutionId:
      if (req.institution_id().empty()) return absl::InvalidArgumentError("institution_id is empty");
      break;
    case av1::ReplayRequest::kTime:
      if (common::UnixMs(req.time().to()) != 0 && common::UnixMs(req.time().to()) <= common::UnixMs(req.time().from()))
        return absl::InvalidArgumentError("time.to must be after time.from");
      break;
    default:
      return absl::InvalidArgumentError("say what to replay: aggregate, patient, institution_id or time");
  }
  if (req.batch_size() < 0 || req.batch_size() > 5000)
    return absl::InvalidArgumentError("batch_size is 1..5000 (0: 1000)");
  return absl::OkStatus();
}

absl::Status Replay(const ArchiveView& view, const av1::ReplayRequest& req,
                    absl::FunctionRef<bool(const av1::ReplayBatch&)> write) {
  RETURN_IF_ERROR(CheckReplay(req));
  const size_t batch_size = req.batch_size() == 0 ? 1000 : static_cast<size_t>(req.batch_size());
  const std::set<std::string> types(req.event_types().begin(), req.event_types().end());
  auto wanted = [&](const std::string& type) {
    return types.empty() || types.count(type) || types.count(type.substr(type.rfind('.') + 1));
  };
  av1::ReplayBatch batch;
  bool gone = false;
  auto flush = [&] {
    if (batch.entries_size() == 0) return true;
    gone = !write(batch);
    batch.Clear();
    return !gone;
  };
  auto take = [&](av1::Entry& e) {
    if (!wanted(e.event_type())) return true;
    *batch.add_entries() = std::move(e);
    return batch.entries_size() < static_cast<int>(batch_size) || flush();
  };
  const int64_t after = std::max<int64_t>(0, req.after_position());
  if (!req.has_time()) {
    const Walk w = WalkOf(req);
    RETURN_IF_ERROR(view.ForEachIndexedEntry(w.prefix, w.start, take));
  } else if (common::UnixMs(req.time().from()) == 0 && common::UnixMs(req.time().to()) == 0) {
    RETURN_IF_ERROR(view.ForEachEntry(after, take));  // everything, in archive order: straight off the journal
  } else {  // the time index, in recorded order; resumes after the entry at `after`
    const auto& t = req.time();
    std::string start = TimeKey(common::UnixMs(t.from()), 0);
    if (after > 0) {
      auto last = view.At(after);
      if (last.ok() && common::UnixMs(last->entry.recorded_at()) >= common::UnixMs(t.from()))
        start = TimeKey(common::UnixMs(last->entry.recorded_at()), after + 1);
    }
    RETURN_IF_ERROR(view.ForEachIndexedEntry("tm/", start, [&](av1::Entry& e) {
      if (common::UnixMs(t.to()) != 0 && common::UnixMs(e.recorded_at()) >= common::UnixMs(t.to())) return false;
      return take(e);
    }));
  }
  if (!gone) flush();
  if (gone) return absl::CancelledError("the client went away");
  return absl::OkStatus();
}

}  // namespace yilian::audit
