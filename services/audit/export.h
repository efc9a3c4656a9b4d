#pragma once
// Export of an archive range, for people and for outside verification.
//
// JSON_LINES: one line per entry, an ExportLine in protobuf JSON: position, chain_hash (hex),
// source_service, source_sequence, event_type, recorded_at and the source envelope
// (payload resolved).
// RAW: the 32-byte hash of the entry before the range (zeros from position 1), then each
// archive entry as [u32 big-endian length][the archive's stored envelope bytes]. Each stored
// envelope's previous_hash must equal SHA-256 of the entry before it: see README.md.

#include <functional>

#include "archive_model.h"

namespace yilian::audit {

// Calls `emit` with chunks of about 1 MB; stops early when `emit` returns false.
absl::Status Export(const ArchiveView& view, const v1::ExportRequest& req,
                    const std::function<bool(std::string chunk)>& emit);

}  // namespace yilian::audit
