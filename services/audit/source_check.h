#pragma once
// Checks each source's own chain and sequence in the archive: every sequence from 1 to the
// highest archived is there once, and each entry's previous_hash is the hash of the entry
// before it. With repair, missing entries (and any after the highest archived) are read from
// the source's catch-up feed and archived; an entry whose archived copy breaks the chain is
// read again from the feed and, when the feed's copy fits the chain, archived as a correction.

#include <vector>

#include "archive_model.h"
#include "archiver.h"
#include "yilian/bus/event_source.h"

namespace yilian::audit {

absl::StatusOr<std::vector<v1::SourceReport>> CheckSources(const ArchiveView& view, Archiver* archiver,
                                                           bus::EventSource* feed, bool repair);

// The archive's own chain over the request's positions, and the sources' chains when asked
// (repaired from their feeds when asked).
absl::StatusOr<v1::VerifyResponse> VerifyArchive(const eventstore::Journal& journal, const ArchiveView& view,
                                                 Archiver* archiver, bus::EventSource* feed,
                                                 const v1::VerifyRequest& req);

}  // namespace yilian::audit
