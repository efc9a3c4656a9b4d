#pragma once
// An emergency case's life as pure decide/evolve functions: opened with a placement and a
// bed hold, possibly redirected (the hold lapsed or the hospital could not take the
// patient), milestones recorded (arrival = door time, imaging, needle, balloon, admission),
// closed with an outcome. The clocks DOMAIN.md asks for (stroke door-to-needle ≤ 60 min,
// STEMI door-to-balloon ≤ 90 min) come from the recorded milestones.
//
// Errors: INVALID_ARGUMENT (malformed; a milestone before first contact or before the door
// time; BALLOON for anything but STEMI), ALREADY_EXISTS (case id taken, milestone recorded
// twice), NOT_FOUND (no such case), FAILED_PRECONDITION (closed; redirecting a patient who
// has arrived; a treatment milestone before ARRIVAL). Pure; thread-safe.

#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "yilian/greenchannel/v1/greenchannel.pb.h"

namespace yilian::domain::greenchannel {
using CaseEvents = std::vector<::yilian::greenchannel::v1::CaseEvent>;

// The windows of the instants dispatch and hospitals give (docs/LIMITS.md): the first medical
// contact at most a week back, a milestone or close at most a year back (and never before the
// first contact), none more than an hour ahead of the service's clock.
inline constexpr absl::Duration kContactBack = absl::Hours(24 * 7);
inline constexpr absl::Duration kMilestoneBack = absl::Hours(24 * 365);
inline constexpr absl::Duration kClockAhead = absl::Hours(1);

// The treatment clocks' targets, in minutes: stroke door-to-needle and door-to-imaging (CT),
// STEMI door-to-balloon and first-medical-contact-to-balloon.
inline constexpr int64_t kDoorToNeedleTarget = 60;
inline constexpr int64_t kDoorToImagingTarget = 25;
inline constexpr int64_t kDoorToBalloonTarget = 90;
inline constexpr int64_t kFmcToBalloonTarget = 120;

// `desc` holds the dispatch facts (id, condition, severity, location, first contact, centre)
// and the placement; `hold_id` is the bed hold placed with it ("" for LEAD_OVERFLOW).
absl::StatusOr<CaseEvents> OpenCase(const std::optional<::yilian::greenchannel::v1::EmergencyCase>& state,
                                    const ::yilian::greenchannel::v1::EmergencyCase& desc, const std::string& hold_id);
absl::StatusOr<CaseEvents> RedirectCase(const std::optional<::yilian::greenchannel::v1::EmergencyCase>& state,
                                        const ::yilian::greenchannel::v1::Placement& placement,
                                        const std::string& hold_id, const std::string& reason);
absl::StatusOr<CaseEvents> RecordMilestone(const std::optional<::yilian::greenchannel::v1::EmergencyCase>& state,
                                           ::yilian::greenchannel::v1::Milestone milestone, int64_t at_ms);
// The destination acknowledges the pre-notification (en route only; `institution_id` must be
// the destination). Nothing changes when it already has.
absl::StatusOr<CaseEvents> AcknowledgeCase(const std::optional<::yilian::greenchannel::v1::EmergencyCase>& state,
                                           const std::string& institution_id, int64_t at_ms);
// When an en-route case is expected at its destination: placed_at + the chosen candidate's
// travel time; 0 when not en route or unknown.
int64_t EtaMs(const ::yilian::greenchannel::v1::EmergencyCase& c);
// Whether `c` is on its way to `institution_id`.
bool InboundTo(const ::yilian::greenchannel::v1::EmergencyCase& c, const std::string& institution_id);
absl::StatusOr<CaseEvents> CloseCase(const std::optional<::yilian::greenchannel::v1::EmergencyCase>& state,
                                     const std::string& outcome, int64_t at_ms);

// What a case's state still allows, by yilianctl command name ("redirect-case",
// "acknowledge-case", "record-milestone", "close-case"): none once closed, a redirect (and an
// acknowledgement not yet given) only while en route. A
// command refused for the case's state is FAILED_PRECONDITION marked wrong-state with these
// (common/problem.h).
std::vector<std::string> AllowedCaseActions(const ::yilian::greenchannel::v1::EmergencyCase& c);

// A case whose hold lapsed and could not be placed again keeps its destination, as an
// overflow with no bed counted for it (so its arrival looks for no hold).
absl::StatusOr<CaseEvents> KeepDestinationAsOverflow(
    const std::optional<::yilian::greenchannel::v1::EmergencyCase>& state, const std::string& reason);

// What dispatch gave when opening a case (id, condition, severity, location, first
// contact, centre, consortium, patient), before placement.
// `origin`: the hospital a transfer comes from ("" for dispatch); the dispatch centre defaults to it.
::yilian::greenchannel::v1::EmergencyCase CaseOf(const ::yilian::greenchannel::v1::OpenCaseRequest& request,
                                                 const std::string& case_id, const std::string& origin = "");
// The bed held for a case's placement number `n` ("<case>#<n>"; the service numbers them by the
// case's version, so each is new), for `hold_ms` from `now_ms`.
::yilian::greenchannel::v1::BedHold EmergencyHold(const std::string& case_id, int64_t n, int64_t now_ms,
                                                  int64_t hold_ms);

absl::Status Evolve(std::optional<::yilian::greenchannel::v1::EmergencyCase>& state,
                    const ::yilian::greenchannel::v1::CaseEvent& event);

::yilian::greenchannel::v1::CaseClocks ClocksOf(const ::yilian::greenchannel::v1::EmergencyCase& c);

// The treatment clocks per destination institution, condition and clock (stroke
// door-to-needle and door-to-imaging, STEMI door-to-balloon and FMC-to-balloon), for reports:
// cases whose clock has stopped, how many met the target, the median and the worst minutes.
class TreatmentClocksTally {
 public:
  void Add(const ::yilian::greenchannel::v1::EmergencyCase& c);
  std::vector<::yilian::greenchannel::v1::InstitutionClocks> Rows() const;

 private:
  using Key = std::tuple<std::string, int, std::string>;  // institution, condition, clock
  std::map<Key, std::vector<int64_t>> minutes_;
  std::map<Key, int32_t> met_;
  std::map<Key, int64_t> targets_;
};

}  // namespace yilian::domain::greenchannel
