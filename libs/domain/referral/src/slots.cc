// Reserved expert slots: quotas per primary-care centre, residents first, cut-off release.
#include "yilian/domain/referral/slots.h"

#include "absl/strings/str_cat.h"
#include "yilian/common/strings.h"
#include "yilian/common/timestamp.h"

namespace yilian::domain::referral {

namespace fv1 = ::yilian::referral::v1;
namespace rv1 = ::yilian::registry::v1;

namespace {

int32_t QuotaOf(const rv1::ExpertSession& s, const std::string& sender) {
  for (const auto& q : s.reserved())
    if (q.institution_id() == sender) return q.slots();
  return 0;
}

int64_t CutoffMs(const rv1::ExpertSession& s) {
  if (!s.has_release_cutoff()) return 0;
  return s.release_cutoff().seconds() * 1000 + s.release_cutoff().nanos() / 1'000'000;
}

}  // namespace

absl::Time SessionStart(const rv1::ExpertSession& s) {
  if (!s.has_starts_at()) return absl::InfinitePast();
  return absl::FromUnixMillis(common::UnixMs(s.starts_at()));
}

fv1::SlotAvailability Availability(const rv1::ExpertSession& s, const fv1::SessionBookings& b,
                                   const std::string& sender, bool signed_resident, absl::Time now,
                                   const SlotPolicy& policy) {
  fv1::SlotAvailability out;
  out.set_session_id(s.session_id());
  const int64_t cutoff = CutoffMs(s);
  YILIAN_SET_MS(out, release_cutoff, cutoff);
  int32_t reserved_total = 0, booked_reserved = 0, booked_general = 0, booked_by_sender = 0;
  for (const auto& q : s.reserved()) reserved_total += q.slots();
  for (const auto& k : b.bookings()) {
    if (k.reserved()) {
      ++booked_reserved;
      if (k.institution_id() == sender) ++booked_by_sender;
    } else {
      ++booked_general;
    }
  }
  const int64_t t = absl::ToUnixMillis(now);
  if (s.cancelled() || now >= SessionStart(s)) return out;
  if (cutoff != 0 && t >= cutoff) {  // everything unbooked is general now
    out.set_general_left(std::max(0, s.slot_count() - booked_reserved - booked_general));
    return out;
  }
  out.set_general_left(std::max(0, s.slot_count() - reserved_total - booked_general));
  const int32_t held = std::max(0, QuotaOf(s, sender) - booked_by_sender);
  out.set_reserved_held(held);
  // Residents first until `resident_priority` before the cut-off (or, without one, the start).
  const int64_t release = cutoff != 0 ? cutoff : absl::ToUnixMillis(SessionStart(s));
  YILIAN_SET_MS(out, residents_until, release - absl::ToInt64Milliseconds(policy.resident_priority));
  const bool residents_only = t < common::UnixMs(out.residents_until());
  out.set_reserved_left(residents_only && !signed_resident ? 0 : held);
  return out;
}

absl::StatusOr<fv1::SessionEvent> BookSlot(const rv1::ExpertSession& s, const fv1::SessionBookings& b,
                                           const fv1::Referral& r, bool signed_resident, absl::Time now,
                                           const SlotPolicy& policy) {
  if (s.cancelled())
    return absl::FailedPreconditionError(
        absl::StrCat("session ", s.session_id(), " is cancelled: ", s.cancel_reason()));
  if (now >= SessionStart(s))
    return absl::FailedPreconditionError(absl::StrCat("session ", s.session_id(), " has started or is past"));
  if (s.institution_id() != r.receiver_institution_id())
    return absl::FailedPreconditionError(absl::StrCat("session ", s.session_id(), " is at ", s.institution_id(),
                                                      ", not at the receiver ", r.receiver_institution_id()));
  for (const auto& k : b.bookings())
    if (k.referral_id() == r.referral_id())
      return absl::AlreadyExistsError(absl::StrCat("referral ", r.referral_id(), " holds a slot of ", s.session_id()));
  const auto a = Availability(s, b, r.sender_institution_id(), signed_resident, now, policy);
  fv1::SessionEvent e;
  auto* booked = e.mutable_booked();
  booked->set_session_id(s.session_id());
  auto* k = booked->mutable_booking();
  k->set_referral_id(r.referral_id());
  k->set_institution_id(r.sender_institution_id());
  YILIAN_SET_MS(*k, at, absl::ToUnixMillis(now));
  if (a.reserved_left() > 0) {
    k->set_reserved(true);
  } else if (a.general_left() <= 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "session ", s.session_id(), " has no slot left for ", r.sender_institution_id(),
        a.reserved_held() > 0
            ? absl::StrCat(" (its ", a.reserved_held(),
                           " reserved slot(s) are kept for its signed "
                           "residents until ",
                           absl::FormatTime(absl::FromUnixMillis(common::UnixMs(a.residents_until()))), ")")
            : ""));
  }
  return e;
}

std::string HeldSession(const fv1::Referral& r) {
  if (r.schedule().kind() != fv1::EXPERT_OUTPATIENT || r.business_status() == fv1::SESSION_CANCELLED) return "";
  switch (r.status()) {
    case fv1::READY:        // booked
    case fv1::IN_PROGRESS:  // used: the patient came
    case fv1::ON_HOLD:
    case fv1::COMPLETED:
      return r.schedule().session_id();
    default:
      return "";
  }
}

std::optional<fv1::SessionEvent> ReleaseSlot(const fv1::SessionBookings& b, const std::string& referral_id,
                                             const std::string& reason, absl::Time now) {
  for (const auto& k : b.bookings())
    if (k.referral_id() == referral_id) {
      fv1::SessionEvent e;
      auto* r = e.mutable_released();
      r->set_session_id(b.session_id());
      r->set_referral_id(referral_id);
      r->set_reason(reason);
      YILIAN_SET_MS(*r, at, absl::ToUnixMillis(now));
      return e;
    }
  return std::nullopt;
}

absl::Status EvolveSession(fv1::SessionBookings& b, const fv1::SessionEvent& e) {
  switch (e.kind_case()) {
    case fv1::SessionEvent::kBooked:
      b.set_session_id(e.booked().session_id());
      *b.add_bookings() = e.booked().booking();
      return absl::OkStatus();
    case fv1::SessionEvent::kReleased: {
      auto* list = b.mutable_bookings();
      for (int i = 0; i < list->size(); ++i)
        if (list->Get(i).referral_id() == e.released().referral_id()) {
          list->DeleteSubrange(i, 1);
          return absl::OkStatus();
        }
      return absl::FailedPreconditionError("session event: released a slot that was not booked");
    }
    default:
      return absl::InvalidArgumentError("empty session event");
  }
}

}  // namespace yilian::domain::referral
