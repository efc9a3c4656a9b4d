#pragma once
// An archive entry's replayed form (v1::Entry, with its patient reference) read straight from
// the stored wire bytes, without parsing the outer envelope, the ArchivedEvent and the source's
// envelope into messages.
//
// Replay streams every entry it visits and needs only a handful of their fields; the three full
// parses (each copying the payload again) were most of its CPU. Protobuf has no partial parse
// that skips fields without copying them into its unknown-field set, so this walks the wire
// format with CodedInputStream. For every entry Unpack() accepts, the result equals what it
// makes (tests/services/audit_test.cc checks real entries, merged ones and mutated bytes). On
// damaged bytes it may accept what Unpack refuses: it does not look inside the fields it skips
// nor check strings for UTF-8. The hash chain (Verify) is what finds damage.

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
