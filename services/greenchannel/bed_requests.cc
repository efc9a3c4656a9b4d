// The bed board's answers to what the bus brings (ward capacity from the registry, bed
// requests from referrals) and to its own timer (expired holds).
#include "absl/strings/str_cat.h"
#include "board_writer.h"
#include "yilian/common/logging.h"
#include "yilian/domain/greenchannel/bed_board.h"
#include "yilian/domain/greenchannel/bed_request.h"
#include "yilian/domain/greenchannel/emergency_case.h"

namespace yilian::greenchannel {

namespace dg = ::yilian::domain::greenchannel;
namespace rfv1 = ::yilian::referral::v1;

namespace {

std::optional<gv1::WardBoard> BoardOf(const std::optional<gv1::WardStatus>& row) {
  if (!row) return std::nullopt;
  return row->board();
}

bool HasHold(const std::optional<gv1::WardBoard>& w, const std::string& id) {
  if (!w) return false;
  for (const auto& h : w->holds())
    if (h.hold_id() == id) return true;
  return false;
}

}  // namespace

absl::Status BoardWriter::SetCapacity(const Call& call, const registry::v1::Ward& ward) {
  const std::string key = WardKey(ward.institution_id(), ward.ward_id());
  std::unique_lock guard(LockOf(key));
  auto row = LoadWard(key);
  if (!row.ok()) return row.status();
  gv1::WardCapacitySet cmd;
  cmd.set_institution_id(ward.institution_id());
  cmd.set_ward_id(ward.ward_id());
  cmd.set_kind(ward.kind());
  cmd.set_capacity(ward.capacity());
  cmd.set_emergency_reserved(ward.emergency_reserved());
  auto events = dg::SetCapacity(BoardOf(*row), cmd);
  if (!events.ok()) return events.status();
  Part part{kWard, key, *row ? (*row)->version() : 0, {}};
  Add(part, *events, {ward.institution_id()});
  return Commit(call, {std::move(part)}, "", [&] { guard.unlock(); }).status();
}

absl::Status BoardWriter::AnswerBedRequest(const Call& call, const rfv1::BedRequested& req) {
  auto known = view_->Request(req.request_id());
  if (!known.ok()) return known.status();
  if (*known) return absl::OkStatus();  // answered already (a redelivery)
  const int64_t now = NowMs();
  gv1::BedRequest answer;
  answer.set_request_id(req.request_id());
  answer.set_referral_id(req.referral_id());
  answer.set_institution_id(req.institution_id());
  answer.set_ward_kind(req.ward_kind());
  const int64_t expires =
      req.hold_until_ms() > 0 ? req.hold_until_ms() : now + absl::ToInt64Milliseconds(options_.referral_hold);
  auto decline = [&](std::string reason) -> absl::Status {
    answer.set_reason(std::move(reason));
    auto events = dg::AnswerBedRequest(std::nullopt, answer);
    if (!events.ok()) return events.status();
    Part part{kBedRequest, req.request_id(), 0, {}};
    Add(part, *events, {req.institution_id()});
    auto r = Commit(call, {std::move(part)}, "");
    return absl::IsAlreadyExists(r.status()) ? absl::OkStatus() : r.status();
  };
  if (expires <= now) return decline("the planned admission time has passed");
  // Candidate wards of the kind, most free general beds first.
  std::vector<gv1::WardStatus> wards;
  auto s = view_->ForEachWard(req.institution_id(), [&](const gv1::WardStatus& w) {
    if (w.board().kind() == req.ward_kind() && (req.ward_id().empty() || w.board().ward_id() == req.ward_id()))
      wards.push_back(w);
    return true;
  });
  if (!s.ok()) return s;
  if (wards.empty())
    return decline(absl::StrCat(req.institution_id(), " has no ",
                                req.ward_id().empty() ? registry::v1::WardKind_Name(req.ward_kind())
                                                      : "ward " + req.ward_id(),
                                " on the bed board"));
  std::stable_sort(wards.begin(), wards.end(),
                   [](const auto& a, const auto& b) { return a.free_general() > b.free_general(); });
  std::string why;
  for (const auto& candidate : wards) {
    const std::string key = WardKey(req.institution_id(), candidate.board().ward_id());
    std::unique_lock guard(LockOf(key));
    auto row = LoadWard(key);
    if (!row.ok()) return row.status();
    gv1::BedHold hold;
    hold.set_hold_id("bed:" + req.request_id());
    hold.set_purpose(gv1::REFERRAL);
    hold.set_subject_id(req.referral_id());
    hold.set_placed_at_ms(now);
    hold.set_expires_at_ms(expires);
    auto held = dg::PlaceHold(BoardOf(*row), hold);
    if (absl::IsFailedPrecondition(held.status())) {
      why = std::string(held.status().message());
      continue;
    }
    if (!held.ok()) return decline(std::string(held.status().message()));
    answer.set_ward_id(candidate.board().ward_id());
    answer.set_hold_id(hold.hold_id());
    answer.set_expires_at_ms(expires);
    auto events = dg::AnswerBedRequest(std::nullopt, answer);
    if (!events.ok()) return decline(std::string(events.status().message()));
    Part r{kBedRequest, req.request_id(), 0, {}};
    Add(r, *events, {req.institution_id()});
    Part w{kWard, key, (*row)->version(), {}};
    Add(w, *held, {req.institution_id()});
    auto done = Commit(call, {std::move(r), std::move(w)}, "", [&] { guard.unlock(); });
    if (absl::IsAlreadyExists(done.status())) return absl::OkStatus();
    return done.status();  // ABORTED goes back to the inbox, which retries
  }
  return decline(why);
}

absl::Status BoardWriter::ReleaseRequestHold(const Call& call, const gv1::BedRequestReply& request,
                                             const std::string& reason, bool expired) {
  const auto& q = request.request();
  const std::string key = WardKey(q.institution_id(), q.ward_id());
  std::unique_lock guard(LockOf(key));
  auto fresh = view_->Request(q.request_id());
  if (!fresh.ok()) return fresh.status();
  if (!*fresh || (*fresh)->request().status() != gv1::RESERVED) return absl::OkStatus();
  auto events = dg::ReleaseBedRequest((*fresh)->request(), reason);
  if (!events.ok()) return events.status();
  std::vector<Part> parts;
  parts.push_back({kBedRequest, q.request_id(), (*fresh)->version(), {}});
  Add(parts.front(), *events, {q.institution_id()});
  auto row = LoadWard(key);
  if (!row.ok()) return row.status();
  if (HasHold(BoardOf(*row), q.hold_id())) {
    dg::BoardEvents ev;
    if (expired) {
      gv1::BoardEvent e;
      e.mutable_hold_expired()->set_hold_id(q.hold_id());
      ev.push_back(e);
    } else {
      auto rel = dg::ReleaseHold(BoardOf(*row), q.hold_id(), reason);
      if (!rel.ok()) return rel.status();
      ev = *rel;
    }
    parts.push_back({kWard, key, (*row)->version(), {}});
    Add(parts.back(), ev, {q.institution_id()});
  }
  return Commit(call, std::move(parts), "", [&] { guard.unlock(); }).status();
}

absl::Status BoardWriter::CancelBedRequest(const Call& call, const rfv1::BedRequestCancelled& req) {
  auto row = view_->Request(req.request_id());
  if (!row.ok()) return row.status();
  if (!*row || (*row)->request().status() != gv1::RESERVED) return absl::OkStatus();  // nothing held
  return ReleaseRequestHold(call, **row, absl::StrCat("cancelled: ", req.reason().empty() ? "referral cancelled" : req.reason()),
                            false);
}

absl::Status BoardWriter::AdmitReferral(const Call& call, const rfv1::ReferredPatientAdmitted& req) {
  auto row = view_->Request(req.request_id());
  if (!row.ok()) return row.status();
  if (!*row || (*row)->request().status() != gv1::RESERVED) return absl::OkStatus();
  const auto& q = (*row)->request();
  const std::string key = WardKey(q.institution_id(), q.ward_id());
  std::unique_lock guard(LockOf(key));
  auto w = LoadWard(key);
  if (!w.ok()) return w.status();
  auto fresh = view_->Request(q.request_id());
  if (!fresh.ok()) return fresh.status();
  if (!HasHold(BoardOf(*w), q.hold_id()) || (*fresh)->request().status() != gv1::RESERVED) return absl::OkStatus();
  auto taken = dg::TakeUpBedRequest((*fresh)->request(), q.request_id());
  if (!taken.ok()) return taken.status();
  auto occupied = dg::Admit(BoardOf(*w), q.hold_id(), q.request_id());
  if (!occupied.ok()) return occupied.status();
  Part r{kBedRequest, q.request_id(), (*fresh)->version(), {}};
  Add(r, *taken, {q.institution_id()});
  Part b{kWard, key, (*w)->version(), {}};
  Add(b, *occupied, {q.institution_id()});
  return Commit(call, {std::move(r), std::move(b)}, "", [&] { guard.unlock(); }).status();
}

absl::Status BoardWriter::ExpireHold(const DueHold& due) {
  const int64_t now = NowMs();
  gv1::BedHold hold;
  {
    std::lock_guard guard(LockOf(due.ward_key));
    auto row = LoadWard(due.ward_key);
    if (!row.ok()) return row.status();
    bool found = false;
    if (*row)
      for (const auto& h : (*row)->board().holds())
        if (h.hold_id() == due.hold_id) {
          hold = h;
          found = true;
        }
    if (!found || hold.expires_at_ms() > now) return absl::OkStatus();
  }
  Call call{system_, "", "", "", ""};
  if (hold.purpose() == gv1::REFERRAL) {
    auto q = view_->Request(hold.hold_id().substr(4));  // "bed:<request>"
    if (!q.ok()) return q.status();
    if (*q) return ReleaseRequestHold(call, **q, "expired", true);
  } else {
    auto c = view_->Case(hold.subject_id());
    if (!c.ok()) return c.status();
    if (*c && (*c)->emergency_case().hold_id() == hold.hold_id() && (*c)->emergency_case().status() == gv1::EN_ROUTE) {
      call.correlation_id = hold.subject_id();
      // At the version just read: if a dispatcher moved the case meanwhile, this is ABORTED
      // and the next round sees the new hold, which is not due.
      auto r = RedirectCase(call, hold.subject_id(), (*c)->version(), "the bed hold expired before arrival", true);
      if (r.ok() || absl::IsAborted(r.status()) || absl::IsUnavailable(r.status())) return r.status();
      common::Logger().warn("green channel: re-placing case {} after its hold expired: {}", hold.subject_id(),
                            r.status().ToString());
    }
  }
  // A hold nobody owns any more, or a case that could not be re-placed: expire the hold. The
  // case (if it still points at this hold) keeps its destination as overflow, with no bed
  // counted for it, so its arrival does not look for a hold that is gone.
  std::unique_lock guard(LockOf(due.ward_key));
  auto row = LoadWard(due.ward_key);
  if (!row.ok()) return row.status();
  if (!HasHold(BoardOf(*row), due.hold_id)) return absl::OkStatus();
  gv1::BoardEvent e;
  e.mutable_hold_expired()->set_hold_id(due.hold_id);
  std::vector<Part> parts;
  if (hold.purpose() == gv1::EMERGENCY) {
    auto c = view_->Case(hold.subject_id());
    if (!c.ok()) return c.status();
    if (*c && (*c)->emergency_case().hold_id() == hold.hold_id() && (*c)->emergency_case().status() == gv1::EN_ROUTE) {
      gv1::Placement overflow;
      overflow.set_step(gv1::LEAD_OVERFLOW);
      overflow.set_institution_id((*c)->emergency_case().placement().institution_id());
      overflow.set_ward_id("emergency-overflow");
      auto redirected = dg::RedirectCase((*c)->emergency_case(), overflow, "",
                                         "the bed hold expired before arrival and no bed could be found again");
      if (!redirected.ok()) return redirected.status();
      parts.push_back({kCase, hold.subject_id(), (*c)->version(), {}});
      Add(parts.back(), *redirected, {overflow.institution_id()});
    }
  }
  parts.push_back({kWard, due.ward_key, (*row)->version(), {}});
  Add(parts.back(), dg::BoardEvents{e}, {(*row)->board().institution_id()});
  return Commit(call, std::move(parts), "", [&] { guard.unlock(); }).status();
}

}  // namespace yilian::greenchannel
