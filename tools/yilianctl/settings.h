#pragma once
// Where to call and as whom. Each setting comes from the first place that has it:
//   address: --address, env YILIAN_<SERVICE>_ADDRESS, the config file's "addresses", the file
//            $YILIAN_HOME/<service>.addr that scripts/run.sh writes (YILIAN_HOME: .yilian)
//   token:   --token, --token-file, env YILIAN_TOKEN, env YILIAN_TOKEN_FILE, the config file's
//            "token_file"
//   TLS:     --tls-ca, --tls-cert, --tls-key (mutual TLS), or the config file's "tls_*"
// The config file is --config, env YILIAN_CTL_CONFIG, or $YILIAN_HOME/yilianctl.json when it
// exists: {"addresses": {"registry": "host:port"}, "token_file": "...", "tls_ca": "..."}.

#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace yilian::ctl {

struct Flags {
  std::string address, token, token_file, config, tls_ca, tls_cert, tls_key, correlation_id;
};

struct Target {
  std::string address;
  std::string token;   // may be empty (mutual TLS)
  std::string tls_ca;  // PEM contents; empty: plaintext
  std::string tls_cert, tls_key;
  std::string correlation_id;  // sent as x-correlation-id when set (--correlation-id, env YILIAN_CORRELATION_ID)
};

// `service`: whose address (registry, referral, greenchannel, audit).
absl::StatusOr<Target> Resolve(const Flags& flags, const std::string& service);

}  // namespace yilian::ctl
