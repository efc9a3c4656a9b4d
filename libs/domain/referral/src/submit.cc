// Submitting a referral: who may send what where (direction, tier, consortium, capability),
// routing by capability, and the priority deadlines.
#include <algorithm>
#include <set>

#include "internal.h"
#include "yilian/common/problem.h"
#include "yilian/common/timestamp.h"
#include "yilian/domain/limits/limits.h"

namespace yilian::domain::referral {

namespace rv1 = ::yilian::registry::v1;
namespace fv1 = ::yilian::referral::v1;

using internal::Make;
using internal::Ms;

namespace {

constexpr size_t kMaxExamResults = 50;

bool Has(const rv1::Institution& i, rv1::Capability c) { return registry::HasCapability(i, c); }

bool ShareConsortium(const Directory& d, const std::string& a, const std::string& b) {
  const auto ca = d.ConsortiaOf(a);
  const auto cb = d.ConsortiaOf(b);
  for (const auto& x : ca)
    if (std::find(cb.begin(), cb.end(), x) != cb.end()) return true;
  return false;
}

// Specialist-centre needs go to the lead hospital first (DOMAIN.md routing).
bool Tier3Need(rv1::Capability c) {
  switch (c) {
    case rv1::STROKE_CENTRE:
    case rv1::CHEST_PAIN_CENTRE:
    case rv1::TRAUMA_CENTRE:
    case rv1::NEONATAL_ICU:
      return true;
    default:
      return false;
  }
}

// The direction and tier rule for one receiver; OK or why not.
absl::Status DirectionFits(fv1::Direction dir, const rv1::Institution& sender, const rv1::Institution& receiver,
                           rv1::Capability capability) {
  if (dir == fv1::UPWARD) {
    if (receiver.tier() > sender.tier()) return absl::OkStatus();
    if (receiver.tier() == sender.tier() && capability != rv1::CAPABILITY_UNSPECIFIED && Has(receiver, capability) &&
        !Has(sender, capability))
      return absl::OkStatus();
    return absl::FailedPreconditionError(absl::StrCat(
        "an upward referral goes to a higher tier, or to the same tier for a capability the sender lacks: ",
        receiver.institution_id(), " is tier ", receiver.tier(), ", ", sender.institution_id(), " tier ",
        sender.tier()));
  }
  if (receiver.tier() < sender.tier()) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("a downward referral goes to a lower tier: ", receiver.institution_id(), " is tier ",
                   receiver.tier(), ", ", sender.institution_id(), " tier ", sender.tier()));
}

absl::Status CheckText(const char* field, const std::string& v, size_t max, bool required) {
  return limits::Text(field, v, max, required);
}

absl::Status CheckResults(const google::protobuf::RepeatedPtrField<fv1::ExamResultRef>& results, absl::Time now) {
  if (auto s = limits::Count("exam_results", results.size(), kMaxExamResults); !s.ok()) return s;
  for (int i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    const std::string at = absl::StrCat("exam_results[", i, "]");
    if (r.kind() == fv1::EXAM_KIND_UNSPECIFIED || !fv1::ExamKind_IsValid(r.kind()))
      return common::InvalidField(at + ".kind", at + ".kind is required");
    if (auto s = limits::Reference(at + ".result_id", r.result_id()); !s.ok()) return s;
    if (auto s = limits::Reference(at + ".performing_institution_id", r.performing_institution_id()); !s.ok()) return s;
    if (r.has_code())
      if (auto s = limits::Coding(at + ".code", r.code()); !s.ok()) return s;
    if (auto s = limits::Instant(at + ".performed_at", r.performed_at(), now, kResultsBack, absl::ZeroDuration());
        !s.ok())
      return s;
    if (common::UnixMs(r.performed_at()) <= 0 || common::UnixMs(r.performed_at()) > Ms(now))
      return common::InvalidField(at + ".performed_at", at + ".performed_at must be in the past");
  }
  return absl::OkStatus();
}

// The receiver for a capability: inside the sender's consortia, active, capable, fitting the
// direction; the lead first for a specialist-centre need, otherwise the nearest.
absl::StatusOr<fv1::Routing> Route(const fv1::Referral& d, const rv1::Institution& sender, const Directory& dir) {
  const rv1::Capability need = d.routing().capability();
  std::set<std::string> leads, seen;
  std::vector<rv1::Institution> candidates;
  for (const auto& cid : dir.ConsortiaOf(sender.institution_id())) {
    auto c = dir.FindConsortium(cid);
    if (!c) continue;
    std::vector<std::string> members(c->member_ids().begin(), c->member_ids().end());
    members.push_back(c->lead_institution_id());
    for (const auto& m : members) {
      if (m == sender.institution_id() || !seen.insert(m).second) continue;
      auto inst = dir.FindInstitution(m);
      if (!inst || inst->suspended() || !Has(*inst, need) || !DirectionFits(d.direction(), sender, *inst, need).ok())
        continue;
      candidates.push_back(*inst);
    }
    leads.insert(c->lead_institution_id());
  }
  if (candidates.empty())
    return absl::FailedPreconditionError(absl::StrCat("no active institution with ", rv1::Capability_Name(need),
                                                      " fits this ", fv1::Direction_Name(d.direction()),
                                                      " referral inside the sender's consortia"));
  fv1::Routing out;
  out.set_capability(need);
  if (Tier3Need(need))
    for (const auto& c : candidates)
      if (leads.count(c.institution_id())) {
        out.set_chosen_institution_id(c.institution_id());
        out.set_reason(absl::StrCat("consortium lead hospital, first for ", rv1::Capability_Name(need)));
        return out;
      }
  const rv1::Institution* best = nullptr;
  double best_km = 0;
  for (const auto& c : candidates) {
    const double km = registry::DistanceKm(sender.location(), c.location());
    if (!best || km < best_km) best = &c, best_km = km;
  }
  out.set_chosen_institution_id(best->institution_id());
  out.set_reason(absl::StrCat("nearest with ", rv1::Capability_Name(need), ": ",
                              static_cast<int64_t>(best_km * 10 + 0.5) / 10.0, " km"));
  return out;
}

}  // namespace

absl::StatusOr<Events> Submit(const std::optional<fv1::Referral>& state, const fv1::Referral& d,
                              const Directory& directory, absl::Time now, const Deadlines& deadlines) {
  if (auto s = registry::CheckId("referral_id", d.referral_id()); !s.ok()) return s;
  if (d.direction() != fv1::UPWARD && d.direction() != fv1::DOWNWARD)
    return common::InvalidField("direction", "direction must be UPWARD or DOWNWARD");
  if (d.priority() == fv1::PRIORITY_UNSPECIFIED || !fv1::Priority_IsValid(d.priority()))
    return common::InvalidField("priority", "priority must be ROUTINE, URGENT, ASAP or STAT");
  if (d.requested_service() == fv1::SERVICE_KIND_UNSPECIFIED || !fv1::ServiceKind_IsValid(d.requested_service()))
    return absl::InvalidArgumentError(
        "requested_service must be EXPERT_OUTPATIENT, INPATIENT_BED, EXAMINATION or TELE_CONSULTATION");
  if (auto s = registry::CheckPatientRef(d.patient()); !s.ok()) return s;
  if (auto s = CheckText("reason", d.reason(), 2000, true); !s.ok()) return s;
  if (auto s = CheckText("notes", d.notes(), 4000, false); !s.ok()) return s;
  if (auto s = CheckText("sender_clinician", d.sender_clinician(), 128, true); !s.ok()) return s;
  if (d.diagnoses_size() > 20) return common::InvalidField("diagnoses", "at most 20 diagnoses");
  for (int i = 0; i < d.diagnoses_size(); ++i)
    if (auto s = limits::Coding(absl::StrCat("diagnoses[", i, "]"), d.diagnoses(i)); !s.ok()) return s;
  if (auto s = CheckResults(d.exam_results(), now); !s.ok()) return s;
  if (d.status() != fv1::STATUS_UNSPECIFIED || d.has_schedule() || d.escalation_level() != 0 ||
      !d.linked_to().empty() || d.business_status() != fv1::BUSINESS_STATUS_UNSPECIFIED || d.has_owner())
    return absl::InvalidArgumentError(
        "status, business status, owner, schedule, escalation and links are recorded later, not at submission");
  if (!d.routing().chosen_institution_id().empty() || !d.routing().reason().empty())
    return absl::InvalidArgumentError("routing names a capability only: what it chose, and why, are the service's");
  if (auto s = limits::Reference("sender_institution_id", d.sender_institution_id()); !s.ok()) return s;
  if (auto s = limits::Reference("receiver_institution_id", d.receiver_institution_id(), false); !s.ok()) return s;
  if (auto s = limits::Reference("linked_from", d.linked_from(), false); !s.ok()) return s;
  if (auto s = limits::Reference("client_reference", d.client_reference(), false); !s.ok()) return s;
  if (state) return absl::AlreadyExistsError(absl::StrCat("referral ", d.referral_id(), " already exists"));

  auto sender = directory.FindInstitution(d.sender_institution_id());
  if (!sender) return absl::NotFoundError(absl::StrCat("no sender institution \"", d.sender_institution_id(), "\""));
  if (sender->suspended())
    return absl::FailedPreconditionError(absl::StrCat(sender->institution_id(), " is suspended"));
  fv1::Referral r = d;
  const rv1::Capability need = d.routing().capability();
  if (need != rv1::CAPABILITY_UNSPECIFIED && !rv1::Capability_IsValid(need))
    return common::InvalidField("routing.capability", "routing.capability is not a known capability");
  if (d.receiver_institution_id().empty()) {
    if (need == rv1::CAPABILITY_UNSPECIFIED)
      return common::InvalidField("receiver_institution_id",
                                  "a receiver institution or a capability to route to is required");
    auto routing = Route(d, *sender, directory);
    if (!routing.ok()) return routing.status();
    *r.mutable_routing() = *routing;
    r.set_receiver_institution_id(routing->chosen_institution_id());
  }
  auto receiver = directory.FindInstitution(r.receiver_institution_id());
  if (!receiver)
    return absl::NotFoundError(absl::StrCat("no receiver institution \"", r.receiver_institution_id(), "\""));
  if (receiver->institution_id() == sender->institution_id())
    return common::InvalidField("receiver_institution_id", "a referral goes to another institution");
  if (receiver->suspended())
    return absl::FailedPreconditionError(absl::StrCat(receiver->institution_id(), " is suspended"));
  if (need != rv1::CAPABILITY_UNSPECIFIED && !Has(*receiver, need))
    return absl::FailedPreconditionError(
        absl::StrCat(receiver->institution_id(), " does not have ", rv1::Capability_Name(need)));
  if (auto s = DirectionFits(d.direction(), *sender, *receiver, need); !s.ok()) return s;
  if (!d.cross_consortium() && !ShareConsortium(directory, sender->institution_id(), receiver->institution_id()))
    return absl::FailedPreconditionError(
        absl::StrCat(sender->institution_id(), " and ", receiver->institution_id(),
                     " share no consortium; mark the referral cross_consortium to send it anyway"));

  r.set_status(fv1::REQUESTED);
  YILIAN_SET_MS(r, submitted_at, Ms(now));
  YILIAN_SET_MS(r, respond_by, Ms(now + deadlines.respond[d.priority()]));
  YILIAN_SET_MS(r, schedule_by, Ms(now + deadlines.schedule[d.priority()]));
  fv1::ReferralSubmitted e;
  *e.mutable_referral() = std::move(r);
  return Events{Make(&fv1::ReferralEvent::mutable_submitted, e)};
}

}  // namespace yilian::domain::referral
