#pragma once
// Where the running platform is and who the load generator acts as: the files scripts/run.sh
// writes into YILIAN_HOME ($home/<service>.addr, $home/<who>.token). Value type.

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace yilian::loadgen {

inline const std::vector<std::string> kServices = {"registry", "referral", "greenchannel", "audit"};
// township: a clinician of qiaotouhe-thc (submits); lead: one of loudi-1st (receives);
// dispatch: 120 dispatch (cases, bed board); auditor: audit replays.
inline const std::vector<std::string> kPrincipals = {"township", "lead", "dispatch", "auditor"};

struct Home {
  std::string dir;
  std::map<std::string, std::string> address;  // service -> host:port
  std::map<std::string, std::string> token;    // principal -> bearer token
};

// Reads the address of each of `services` and the token of each of `principals` (surrounding
// whitespace trimmed). A missing or empty file is NOT_FOUND naming it, and saying the platform
// is started with scripts/run.sh (YILIAN_HOME=dir).
absl::StatusOr<Home> ReadHome(const std::string& dir, const std::vector<std::string>& services,
                              const std::vector<std::string>& principals);

}  // namespace yilian::loadgen
