#pragma once
// Checks each source's own chain and sequence in the archive: every sequence from 1 to the
// highest archived is there once, and each entry's previous_hash is the hash of the entry
// before it. With repair, missing entries (and any after the highest archived) are read from
// the source's catch-up feed and archived; an entry whose archived copy breaks the chain is
// read again from the feed and, when the feed's copy fits the chain, archived as a correction.

#include <string>
#include <vector>

#include "archive_model.h"
#include "archiver.h"
#include "yilian/bus/event_source.h"

namespace yilian::audit {

// The services whose topics the audit follows.
inline const std::vector<std::string> kSources = {"registry", "referral", "greenchannel"};

//
// Every source (`expected` and any other the archive holds) is reported with the highest
// sequence archived from it beside its own head, asked of its feed; the gaps and breaks are
// looked for only with `check` (or `repair`).
absl::StatusOr<std::vector<v1::SourceReport>> CheckSources(const ArchiveView& view, Archiver* archiver,
                                                           bus::EventSource* feed,
                                                           const std::vector<std::string>& expected, bool check,
                                                           bool repair);

// The archive's own chain over the request's positions; each source's head against what is
// archived of it (`behind` when the archive lacks entries a source has); the sources' chains
// when asked (repaired from their feeds when asked).
absl::StatusOr<v1::VerifyResponse> VerifyArchive(const eventstore::Journal& journal, const ArchiveView& view,
                                                 Archiver* archiver, bus::EventSource* feed,
                                                 const std::vector<std::string>& sources, const v1::VerifyRequest& req);

}  // namespace yilian::audit
