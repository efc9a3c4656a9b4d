#pragma once
// An archive entry's replayed form (av1::Entry, with its patient reference) read straight from
// the stored wire bytes, without parsing the outer envelope, the ArchivedEvent and the source's
// envelope into messages.
//
// Replay streams every entry it visits and needs only a handful of their fields; the three full
// parses (each copying the payload again) were most of its CPU. Protobuf has no partial parse
// that skips fields without copying them into its unknown-field set, so this walks the wire
// format with CodedInputStream. The result equals what Unpack() makes for the same bytes
// (tests/audit/entry_scan_test.cc checks it on every kind of entry).

#include <string>

#include "absl/status/status.h"
#include "yilian/audit/v1/audit.pb.h"
#include "yilian/eventstore/journal.h"

namespace yilian::audit {

// Fills `entry` (position, chain hash, source, sequence, event type, recording time, envelope
// bytes; not patient_erased) and `*patient` (empty when none). DATA_LOSS when the bytes do not
// have the envelope's shape.
absl::Status ScanEntry(const eventstore::JournalEntry& stored, audit::v1::Entry* entry, std::string* patient);

}  // namespace yilian::audit
