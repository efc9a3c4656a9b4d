#pragma once
// Two-way referral as pure decide/evolve functions (no gRPC, Kafka or RocksDB): the FHIR R4
// Task state machine (each Status is one Task.status, the finer facts a BusinessStatus), the
// direction/tier/consortium/capability rules, routing by capability, priority deadlines with
// escalation, no-show and expiry timers, the bed saga, and mutual recognition of exam results.
//
//   draft -> requested (send) -> received -> accepted | rejected
//   received: awaiting-information <-> information-supplied (business status only)
//   accepted -> ready (slot, appointment or bed) -> in-progress (arrived) -> completed
//   in-progress <-> on-hold (hold / resume); ready | in-progress -> failed (reason coded)
//   draft | requested | received | accepted | ready -> cancelled (sender, redirect, deadline)
//   any -> entered-in-error (a compensating mark, with who and why)
//
// services/referral/README.md tables every command's states and the FHIR transitions.
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
// A booked slot or appointment the patient has not come to this long after its time fails as a
// no-show (a bed's hold lapses at the bed board instead).
inline constexpr absl::Duration kNoShowGrace = absl::Hours(12);
// How far ahead of the service's clock a caller's instant (an arrival) may be.
inline constexpr absl::Duration kClockSkew = absl::Minutes(5);

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

// The ICD-10 code system, and a diagnosis coded in it.
inline constexpr char kIcd10[] = "http://hl7.org/fhir/sid/icd-10";
inline ::yilian::common::v1::Coding Icd10(const std::string& code, const std::string& display = "") {
  ::yilian::common::v1::Coding c;
  c.set_system(kIcd10);
  c.set_code(code);
  c.set_display(display);
  return c;
}

// Validity windows of exam results for mutual recognition.
absl::Duration ValidityOf(::yilian::referral::v1::ExamKind kind);

// ---- commands ----
// `draft` carries what the sender gives (id, direction, sender, receiver or routing
// capability, patient, reason, codes, priority, service, results, notes, cross_consortium,
// linked_from). The receiver is routed when only routing.capability is set.
absl::StatusOr<Events> Submit(const std::optional<::yilian::referral::v1::Referral>& state,
                              const ::yilian::referral::v1::Referral& draft, const Directory& directory, absl::Time now,
                              const Deadlines& deadlines = {});
// As Submit, checked the same, but saved as DRAFT: no deadlines, unseen by the receiver.
absl::StatusOr<Events> SaveDraft(const std::optional<::yilian::referral::v1::Referral>& state,
                                 const ::yilian::referral::v1::Referral& draft, const Directory& directory,
                                 absl::Time now, const Deadlines& deadlines = {});
// The sender sends a DRAFT: checked again as a submission (the registry may have changed),
// REQUESTED with its deadlines from now.
absl::StatusOr<Events> Send(const std::optional<::yilian::referral::v1::Referral>& state, Side side,
                            const Directory& directory, absl::Time now, const Deadlines& deadlines = {});
// The sender changes the fields `paths` names (reason, diagnoses, priority,
// requested_service, notes, exam_results, client_reference) to those of `changes`, before the
// referral is accepted; checked as a submission; a new priority moves the deadlines.
absl::StatusOr<Events> Amend(const std::optional<::yilian::referral::v1::Referral>& state, Side side,
                             const ::yilian::referral::v1::Referral& changes, const std::vector<std::string>& paths,
                             const Directory& directory, absl::Time now, const Deadlines& deadlines = {});
// The receiver gives the referral to one of its clinicians or departments, or hands it over.
absl::StatusOr<Events> AssignOwner(const std::optional<::yilian::referral::v1::Referral>& state, Side side,
                                   const ::yilian::referral::v1::Owner& owner, const std::string& note, absl::Time now);
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
// The bed board's answer (Side::kSystem): reserved -> READY (bed-reserved); declined -> back to
// ACCEPTED (bed-declined) with the reason, to ask again, cancel or redirect.
absl::StatusOr<Events> AnswerBed(const std::optional<::yilian::referral::v1::Referral>& state, Side side,
                                 const std::string& request_id, bool reserved, const std::string& reason,
                                 absl::Time now);
// `arrived_at` (default: now) may not be past now + kClockSkew nor before the referral was sent.
absl::StatusOr<Events> RecordArrival(const std::optional<::yilian::referral::v1::Referral>& state, Side side,
                                     std::optional<absl::Time> arrived_at, absl::Time now);
// The receiver moves a READY slot or appointment to `schedule` (the service books and frees
// the expert slots).
absl::StatusOr<Events> Reschedule(const std::optional<::yilian::referral::v1::Referral>& state, Side side,
                                  const ::yilian::referral::v1::Schedule& schedule, const std::string& reason,
                                  absl::Time now);
// The receiver asks for another bed for a READY referral holding a reserved one: BedRequested
// naming the held request it would replace; the held bed stays until the bed board answers
// (AnswerBed: reserved -> ReferralRescheduled and the old hold released; declined -> kept).
absl::StatusOr<Events> RescheduleBed(const std::optional<::yilian::referral::v1::Referral>& state, Side side,
                                     ::yilian::registry::v1::WardKind ward_kind, absl::Time planned_admission,
                                     const std::string& reason, absl::Time now);
// The receiver pauses an IN_PROGRESS referral and resumes it.
absl::StatusOr<Events> Hold(const std::optional<::yilian::referral::v1::Referral>& state, Side side,
                            const std::string& reason, absl::Time now);
absl::StatusOr<Events> Resume(const std::optional<::yilian::referral::v1::Referral>& state, Side side, absl::Time now);
// The service: the expert session a READY referral booked was cancelled (SESSION_CANCELLED);
// no events when the referral does not hold a slot of it.
Events SessionCancelled(const std::optional<::yilian::referral::v1::Referral>& state, const std::string& session_id,
                        const std::string& reason, absl::Time now);
// Sender or receiver: the referral should never have existed. From any state but
// ENTERED_IN_ERROR; releases a bed asked for. `by`: the caller's subject and institution.
absl::StatusOr<Events> MarkEnteredInError(const std::optional<::yilian::referral::v1::Referral>& state, Side side,
                                          const std::string& reason, const std::string& by,
                                          const std::string& by_institution_id, absl::Time now);
absl::StatusOr<Events> Complete(const std::optional<::yilian::referral::v1::Referral>& state, Side side,
                                const std::string& outcome_summary, const std::string& downward_referral_id,
                                absl::Time now);
// Cancelling releases a requested bed (BedRequestCancelled).
absl::StatusOr<Events> Cancel(const std::optional<::yilian::referral::v1::Referral>& state, Side side,
                              const std::string& reason, absl::Time now);
// READY (sender, receiver, service) or IN_PROGRESS (receiver, service) -> FAILED; `code` is
// NO_SHOW, TRANSFER_FAILED, PATIENT_DIED or PATIENT_DECLINED. Releases a bed asked for.
absl::StatusOr<Events> Fail(const std::optional<::yilian::referral::v1::Referral>& state, Side side,
                            ::yilian::referral::v1::BusinessStatus code, const std::string& note, absl::Time now);
absl::StatusOr<Events> Redirect(const std::optional<::yilian::referral::v1::Referral>& state, Side side,
                                const std::string& to_referral_id, const std::string& to_institution_id,
                                const std::string& reason, absl::Time now);
// The durable timers, derived from the state: escalation when unanswered past respond_by
// (level 1: the receiver's referral office; level 2, after as long again: the lead
// hospital), CANCELLED (deadline-expired) when not scheduled by schedule_by, FAILED (no-show)
// when a booked slot or appointment is kNoShowGrace past. No events when nothing is due.
// With a directory, each escalation names whose queue it goes to (EscalationTarget).
Events DueTimers(const std::optional<::yilian::referral::v1::Referral>& state, absl::Time now,
                 const Directory* directory = nullptr);
// Whose escalation queue a referral goes to at `level`: 1 the receiver (its referral office),
// 2 the lead hospital of a consortium the sender and receiver both belong to (one led by
// someone other than the receiver first; else the lead of a consortium of the receiver's); ""
// when there is none above the receiver.
std::string EscalationTarget(const ::yilian::referral::v1::Referral& referral, int level, const Directory& directory);
// Whether the referral is in its escalation queue now: escalated, and still owed an answer by
// the receiver (requested or received, not awaiting the sender's information).
bool InEscalationQueue(const ::yilian::referral::v1::Referral& referral);
// When DueTimers next has something to do (InfiniteFuture when never).
absl::Time NextTimer(const ::yilian::referral::v1::Referral& referral);

absl::Status Evolve(std::optional<::yilian::referral::v1::Referral>& state,
                    const ::yilian::referral::v1::ReferralEvent& event);

// ---- reads ----
bool IsTerminal(::yilian::referral::v1::Status status);
// The FHIR codes: Task.status ("in-progress") and Task.businessStatus ("awaiting-information";
// "" for none).
std::string FhirStatus(::yilian::referral::v1::Status status);
std::string FhirBusinessStatus(::yilian::referral::v1::BusinessStatus code);
// What a caller can do now, as the referral RPCs are named for yilianctl ("accept",
// "request-information", ...), for error messages and the Problem's allowed_actions. The
// service's own moves (timers, bed answers) are not a caller's and are not listed.
std::vector<std::string> AllowedActions(const ::yilian::referral::v1::Referral& referral);
// Which attached results the receiver need not repeat: recognised when performed inside a
// consortium shared with the receiver and still within the kind's validity window at `now`.
std::vector<::yilian::referral::v1::ExamRecognition> RecogniseExams(const ::yilian::referral::v1::Referral& referral,
                                                                    const Directory& directory, absl::Time now);

}  // namespace yilian::domain::referral
