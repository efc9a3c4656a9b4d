#pragma once
// The green channel's configuration keys (flags --key=value, env YILIAN_KEY, --config=file.json).

#include <vector>

#include "board.h"
#include "yilian/common/config.h"

namespace yilian::greenchannel {

std::vector<common::ConfigKey> ConfigSchema();
// Placement speed and circle, hold lengths, from a loaded config. INVALID_ARGUMENT when out of range.
absl::StatusOr<BoardOptions> BoardOptionsFrom(const common::Config& config);

}  // namespace yilian::greenchannel
