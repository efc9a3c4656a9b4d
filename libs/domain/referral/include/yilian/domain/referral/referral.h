#pragma once
// Two-way referral as pure decide/evolve functions (no gRPC, Kafka or RocksDB): the FHIR
// Task state machine of DOMAIN.md, the direction/tier/consortium/capability rules, routing
// by capability, priority deadlines with escalation and failure, the bed saga, and mutual
// recognition of exam results.
//
//   requested -> received -> accepted | rejected
//   received <-> on-hold (information asked / supplied)
//   accepted -> scheduled (slot booked, or bed reserved) -> in-progress (arrived) -> completed
//   any non-terminal -> cancelled (sender) | failed | redirected (ends this one, links the next)
//
// Each command says which side may give it (the service maps principals to a Side); the
// wrong side is PERMISSION_DENIED. An illegal transition is FAILED_PRECONDITION naming the
// current state and the actions allowed in it. Other errors: INVALID_ARGUMENT (malformed),
// NOT_FOUND (no such referral or institution), ALREADY_EXISTS (id taken). Thread-safe.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "yilian/domain/registry/registry.h"
#include "yilian/referral/v1/referral.pb.h"

namespace yilian::domain::referral {
using Events = std::vector<::yilian::referral::v1::ReferralEvent>;

inline constexpr char kReferral[] = "referral";

// How far ahead an appointment or a planned admission may be booked, and how old an exam
// result a referral may carry (docs/LIMITS.md).
inline constexpr absl::Duration kScheduleAhead = absl::Hours(24 * 730);
inline constexpr absl::Duration kResultsBack = absl::Hours(24 * 365 * 50);

// Who gives a command: the sender's side, the receiver's side, the consortium lead (may
// redirect), or the service itself (timers, the bed board's answers).
enum class Side { kSender, kReceiver, kLead, kSystem };

// What routing and the rules need from the registry.
class Directory : public registry::Directory {
 public:
  virtual std::optional<::yilian::registry::v1::Consortium> FindConsortium(const std::string& id) const = 0;
};

// Response and scheduling deadlines per priority (DOMAIN.md: each priority has an SLA).
struct Deadlines {
  absl::Duration respond[5] = {absl::ZeroDuration(), absl::Hours(7 * 24), absl::Hours(24), absl::Hours(2),
                               absl::Minutes(15)};
  absl::Duration schedule[5] = {absl::ZeroDuration(), absl::Hours(14 * 24), absl::Hours(72), absl::Hours(8),
                                absl::Hours(1)};
};

// Validity windows of exam results for mutual recognition.
absl::Duration ValidityOf(::yilian::referral::v1::ExamKind kind);

// ---- commands ----
// `draft` carries what the sender gives (id, direction, sender, receiver or routing
// capability, patient, reason, codes, priority, service, results, notes, cross_consortium,
// linked_from). The receiver is routed when only routing.capability is set.
absl::StatusOr<Events> Submit(const std::optional<::yilian::referral::v1::Referral>& state,
                              const ::yilian::referral::v1::Referral& draft, const Directory& directory, absl::Time now,
                              const Deadlines& deadlines = {});
absl::StatusOr<Events> Acknowledge(const std::optional<::yilian::referral::v1::Referral>& state, Side side,
                                   absl::Time now);
absl::StatusOr<Events> Accept(const std::optional<::yilian::referral::v1::Referral>& state, Side side, absl::Time now);
absl::StatusOr<Events> Reject(const std::optional<::yilian::referral::v1::Referral>& state, Side side,
                              const std::string& reason_code, const std::string& advice, absl::Time now);
absl::StatusOr<Events> RequestInformation(const std::optional<::yilian::referral::v1::Referral>& state, Side side,
                                          const std::string& question, absl::Time now);
absl::StatusOr<Events> SupplyInformation(const std::optional<::yilian::referral::v1::Referral>& state, Side side,
                                         const std::string& answer,
                                         const std::vector<::yilian::referral::v1::ExamResultRef>& results,
                                         absl::Time now);
// An expert slot (the service checks the session and the quota) or an examination /
// tele-consultation time.
absl::StatusOr<Events> ScheduleAppointment(const std::optional<::yilian::referral::v1::Referral>& state, Side side,
                                           const ::yilian::referral::v1::Schedule& schedule, absl::Time now);
// An inpatient bed: emits BedRequested for the bed board; the referral stays ACCEPTED until
// the answer.
absl::StatusOr<Events> RequestBed(const std::optional<::yilian::referral::v1::Referral>& state, Side side,
                                  ::yilian::registry::v1::WardKind ward_kind, absl::Time planned_admission,
                                  absl::Time now);
// The bed board's answer (Side::kSystem): reserved -> SCHEDULED; declined -> back to
// ACCEPTED with the reason, to try again or fail.
absl::StatusOr<Events> AnswerBed(const std::optional<::yilian::referral::v1::Referral>& state, Side side,
                                 const std::string& request_id, bool reserved, const std::string& reason,
                                 absl::Time now);
absl::StatusOr<Events> RecordArrival(const std::optional<::yilian::referral::v1::Referral>& state, Side side,
                                     absl::Time now);
absl::StatusOr<Events> Complete(const std::optional<::yilian::referral::v1::Referral>& state, Side side,
                                const std::string& outcome_summary, const std::string& downward_referral_id,
                                absl::Time now);
// Cancelling releases a requested bed (BedRequestCancelled).
absl::StatusOr<Events> Cancel(const std::optional<::yilian::referral::v1::Referral>& state, Side side,
                              const std::string& reason, absl::Time now);
absl::StatusOr<Events> Fail(const std::optional<::yilian::referral::v1::Referral>& state, Side side,
                            const std::string& reason, absl::Time now);
absl::StatusOr<Events> Redirect(const std::optional<::yilian::referral::v1::Referral>& state, Side side,
                                const std::string& to_referral_id, const std::string& to_institution_id,
                                const std::string& reason, absl::Time now);
// The durable timers, derived from the state: escalation when unanswered past respond_by
// (level 1: the receiver's referral office; level 2, after as long again: the lead
// hospital), failure when not scheduled by schedule_by. No events when nothing is due.
Events DueTimers(const std::optional<::yilian::referral::v1::Referral>& state, absl::Time now);
// When DueTimers next has something to do (InfiniteFuture when never).
absl::Time NextTimer(const ::yilian::referral::v1::Referral& referral);

absl::Status Evolve(std::optional<::yilian::referral::v1::Referral>& state,
                    const ::yilian::referral::v1::ReferralEvent& event);

// ---- reads ----
bool IsTerminal(::yilian::referral::v1::Status status);
// What a caller can do in a state, as the referral RPCs are named for yilianctl ("accept",
// "request-information", ...), for error messages and the Problem's allowed_actions. The
// service's own moves (a timer failing a referral, a bed answer) are not a caller's and are
// not listed.
std::vector<std::string> AllowedActions(::yilian::referral::v1::Status status);
// Which attached results the receiver need not repeat: recognised when performed inside a
// consortium shared with the receiver and still within the kind's validity window at `now`.
std::vector<::yilian::referral::v1::ExamRecognition> RecogniseExams(const ::yilian::referral::v1::Referral& referral,
                                                                    const Directory& directory, absl::Time now);

}  // namespace yilian::domain::referral
