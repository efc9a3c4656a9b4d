#pragma once
// A Task search (GET /Task?...) as the worklist query it asks of the referral service:
//   owner=Organization/<id>      the incoming worklist (ListIncoming)
//   requester=Organization/<id>  the outgoing worklist (ListOutgoing)
//   patient=Patient/<ref>        with owner or requester: a filter; alone: the patient's
//                                referrals as far as the caller is in their care (ListPatientReferrals)
//   status, business-status, priority   comma-separated codes (any of)
//   authored-on=[ge|gt|le|lt]<instant> (repeatable), or a date (that day, UTC)
//   _count (1..100), _page_token (from a next link), _format (ignored)
// An unknown parameter is refused under strict handling and ignored (and left out of the
// self link) otherwise. Pure; thread-safe.

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "yilian/referral/v1/referral_service.pb.h"

namespace yilian::fhir {

inline constexpr int kMaxCount = 100;

struct TaskSearch {
  enum class List { kIncoming, kOutgoing, kPatient };
  List list = List::kIncoming;
  referral::v1::ListWorklistRequest worklist;             // kIncoming, kOutgoing
  referral::v1::ListPatientReferralsRequest patient;      // kPatient
  std::vector<std::pair<std::string, std::string>> kept;  // the parameters used, for the self link
};

absl::StatusOr<TaskSearch> TaskSearchOf(const std::vector<std::pair<std::string, std::string>>& params, bool strict);

}  // namespace yilian::fhir
