#include "export.h"

#include <google/protobuf/util/json_util.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "yilian/common/status_macros.h"
#include "yilian/common/timestamp.h"

namespace yilian::audit {

namespace av1 = ::yilian::audit::v1;

namespace {

constexpr size_t kChunk = 1 << 20;

absl::StatusOr<std::string> JsonLine(const Unpacked& u) {
  av1::ExportLine line;
  line.set_position(u.entry.position());
  line.set_chain_hash(absl::BytesToHexString(u.entry.chain_hash()));
  line.set_source_service(u.entry.source_service());
  line.set_source_sequence(u.entry.source_sequence());
  line.set_event_type(u.entry.event_type());
  YILIAN_SET_MS(line, recorded_at, common::UnixMs(u.entry.recorded_at()));
  *line.mutable_envelope() = u.envelope;
  line.set_patient_erased(u.entry.patient_erased());
  std::string out;
  google::protobuf::util::JsonPrintOptions o;
  o.preserve_proto_field_names = true;
  if (auto s = google::protobuf::util::MessageToJsonString(line, &out, o); !s.ok())
    return absl::InternalError(absl::StrCat("entry ", u.entry.position(), " has no JSON form: ", s.ToString()));
  out.push_back('\n');
  return out;
}

void PutU32(std::string& out, uint32_t n) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((n >> shift) & 0xff));
}

}  // namespace

absl::Status Export(const ArchiveView& view, const av1::ExportRequest& req,
                    const std::function<bool(std::string chunk)>& emit) {
  const int64_t from = std::max<int64_t>(1, req.from_position());
  const int64_t to = req.to_position() == 0 ? view.journal().head().sequence : req.to_position();
  if (to < from) return absl::InvalidArgumentError("to_position is before from_position");
  std::string chunk;
  const bool raw = req.format() == av1::ExportRequest::RAW;
  if (raw) {
    std::string before(32, '\0');
    if (from > 1) {
      RETURN_IF_ERROR(view.journal()
                          .Read(from - 1, 1,
                                [&](const eventstore::JournalEntry& e) {
                                  before = std::string(e.hash);
                                  return false;
                                })
                          .status());
    }
    chunk = before;
  }
  absl::flat_hash_set<std::string> erased;  // read once, not per entry
  if (!raw) {
    ASSIGN_OR_RETURN(erased, view.ErasedPatients());
  }
  bool stopped = false;
  absl::Status failed;
  RETURN_IF_ERROR(view.journal()
                      .Read(from, to - from + 1,
                            [&](const eventstore::JournalEntry& e) {
                              if (raw) {
                                PutU32(chunk, static_cast<uint32_t>(e.envelope.size()));
                                chunk.append(e.envelope);
                              } else {
                                auto u = Unpack(e);
                                if (!u.ok()) {
                                  failed = u.status();
                                  return false;
                                }
                                ArchiveView::MarkErased(erased, *u);
                                auto line = JsonLine(*u);
                                if (!line.ok()) {
                                  failed = line.status();
                                  return false;
                                }
                                chunk += *line;
                              }
                              if (chunk.size() >= kChunk) {
                                if (!emit(std::move(chunk))) stopped = true;
                                chunk.clear();
                              }
                              return !stopped;
                            })
                      .status());
  RETURN_IF_ERROR(failed);
  if (!stopped && !chunk.empty()) emit(std::move(chunk));
  return absl::OkStatus();
}

}  // namespace yilian::audit
