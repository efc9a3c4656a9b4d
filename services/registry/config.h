#pragma once
// The registry's configuration keys (flags --key=value, env YILIAN_KEY, --config=file.json).

#include <vector>

#include "yilian/common/config.h"

namespace yilian::registry {

std::vector<common::ConfigKey> ConfigSchema();

}  // namespace yilian::registry
