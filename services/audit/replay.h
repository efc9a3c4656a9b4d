#pragma once
// Replay: the archived entries of one aggregate, patient or institution (through the
// archive's indexes), or of a time window, in order, optionally only some event types, in
// batches; resumable after any position. Thread-safe; reads the view.

#include "absl/functional/function_ref.h"
#include "archive_model.h"

namespace yilian::audit {

// INVALID_ARGUMENT naming what is wrong with the request.
absl::Status CheckReplay(const v1::ReplayRequest& req);
// Sends the entries in batches to `write`; CANCELLED when `write` returns false.
absl::Status Replay(const ArchiveView& view, const v1::ReplayRequest& req,
                    absl::FunctionRef<bool(const v1::ReplayBatch&)> write);

}  // namespace yilian::audit
