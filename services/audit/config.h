#pragma once
// The audit service's configuration keys (flags --key=value, env YILIAN_KEY, --config=file.json).

#include <vector>

#include "yilian/common/config.h"

namespace yilian::audit {

std::vector<common::ConfigKey> ConfigSchema();

}  // namespace yilian::audit
