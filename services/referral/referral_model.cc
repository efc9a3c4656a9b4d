#include "referral_model.h"

#include <array>

#include "absl/strings/str_cat.h"
#include "yilian/command/reveal_record.h"
#include "yilian/common/oneof_event.h"
#include "yilian/common/status_macros.h"
#include "yilian/common/strings.h"
#include "yilian/common/timestamp.h"
#include "yilian/domain/referral/referral.h"
#include "yilian/domain/referral/slots.h"
#include "yilian/domain/referral/worklist.h"

namespace yilian::referral {

namespace fv1 = ::yilian::referral::v1;

namespace dref = ::yilian::domain::referral;
using eventstore::Family;

namespace {

const std::string kNul(1, '\0');

std::string RowKey(const std::string& id) { return "r/" + id; }
std::string SessionKey(const std::string& id) { return "s/" + id; }

std::string ListPrefix(const std::string& list, const std::string& institution) {
  return absl::StrCat(list, "/", institution, kNul);
}
void AppendStatusPrefix(std::string* key, std::string_view list, const std::string& institution, fv1::Status s) {
  absl::StrAppend(key, common::Sv(list), "/", institution, kNul, absl::Dec(static_cast<int>(s), absl::kZeroPad2), kNul);
}
std::string StatusPrefix(const std::string& list, const std::string& institution, fv1::Status s) {
  std::string key;
  AppendStatusPrefix(&key, list, institution, s);
  return key;
}
void AppendTimerKey(std::string* key, absl::Time due, std::string_view id) {
  absl::StrAppend(key, "t/", eventstore::EncodeU64(static_cast<uint64_t>(absl::ToUnixMillis(due))), common::Sv(id));
}
std::string TimerKey(absl::Time due, std::string_view id) {
  std::string key;
  AppendTimerKey(&key, due, id);
  return key;
}

// The index rows a referral state stands in, built into strings that keep their capacity from
// one event to the next. Each slot's keys start differently ("in/", "out/", "t/", "e/", "p/"), so a key can
// only ever equal the same slot's key of another state.
struct IndexRows {
  void Of(const fv1::Referral& r) {
    for (std::string* k : {&in, &out, &timer, &escalated, &patient}) k->clear();
    if (!r.patient().value().empty())
      absl::StrAppend(&patient, "p/", r.patient().value(), kNul,
                      eventstore::EncodeU64(static_cast<uint64_t>(common::UnixMs(r.submitted_at()))), kNul,
                      r.referral_id());
    if (dref::InEscalationQueue(r)) {
      absl::StrAppend(&escalated, "e/", r.escalated_to_institution_id(), kNul, 9 - r.escalation_level(), kNul);
      absl::StrAppend(&escalated, 9 - static_cast<int>(r.priority()), kNul,
                      eventstore::EncodeU64(static_cast<uint64_t>(common::UnixMs(r.submitted_at()))), kNul,
                      r.referral_id());
    }
    if (r.status() != fv1::DRAFT) AppendListKey(&in, "in", r.receiver_institution_id(), r);  // unsent: the sender's
    AppendListKey(&out, "out", r.sender_institution_id(), r);
    if (const absl::Time due = dref::NextTimer(r); due != absl::InfiniteFuture())
      AppendTimerKey(&timer, due, r.referral_id());
  }
  static void AppendListKey(std::string* key, std::string_view list, const std::string& institution,
                            const fv1::Referral& r) {
    AppendStatusPrefix(key, list, institution, r.status());
    absl::StrAppend(key, 9 - static_cast<int>(r.priority()), kNul,
                    eventstore::EncodeU64(static_cast<uint64_t>(common::UnixMs(r.submitted_at()))), kNul,
                    r.referral_id());
  }
  std::array<const std::string*, 5> keys() const {  // an empty one: no row
    return {&in, &out, &timer, &escalated, &patient};
  }
  std::string in, out, timer, escalated, patient;
};

// What the fold reuses from one event to the next on its thread (the rebuild folds a million):
// the top-level strings of the messages, the keys and the row's bytes keep their capacity.
// (Parsing still allocates every sub-message again: proto3's Clear deletes them.)
struct FoldScratch {
  fv1::ReferralEvent event;
  fv1::ReferralReply row;
  std::optional<fv1::Referral> state;
  std::string key, stored, value;
  IndexRows before, after;
};

absl::Status ApplyReferral(const events::v1::Envelope& env, eventstore::ProjectionBatch& rows) {
  thread_local FoldScratch s;
  RETURN_IF_ERROR(common::UnpackOneof(env, &s.event));
  s.key.assign("r/").append(env.aggregate_id());
  ASSIGN_OR_RETURN(const bool stored, rows.Get(s.key, &s.stored));
  if (stored) {
    if (!s.row.ParseFromString(s.stored)) return absl::DataLossError("referral row " + s.key);
    s.before.Of(s.row.referral());
    if (!s.state) s.state.emplace();
    s.state->Swap(s.row.mutable_referral());  // the row's state moves out, without a copy
  } else {
    s.row.Clear();
    s.state.reset();
  }
  RETURN_IF_ERROR(dref::Evolve(s.state, s.event));
  s.after.Of(*s.state);
  if (s.row.correlation_id().empty()) s.row.set_correlation_id(env.correlation_id());  // the flow it started in
  s.row.mutable_referral()->Swap(&*s.state);
  s.row.set_version(env.aggregate_version());
  s.row.SerializeToString(&s.value);
  rows.Put(s.key, s.value);
  // Index rows that moved: the old one goes, the new one comes; one that stayed is left alone
  // (the projection is only ever written by this fold, so it is there).
  const auto before = s.before.keys(), after = s.after.keys();
  for (size_t i = 0; i < after.size(); ++i) {
    if (stored && *before[i] == *after[i]) continue;
    if (stored && !before[i]->empty()) rows.Delete(*before[i]);
    if (!after[i]->empty()) rows.Put(*after[i], "");
  }
  return absl::OkStatus();
}

absl::Status ApplySession(const events::v1::Envelope& env, eventstore::ProjectionBatch& rows) {
  ASSIGN_OR_RETURN(auto event, common::UnpackEvent<fv1::SessionEvent>(env));
  const std::string key = SessionKey(env.aggregate_id());
  ASSIGN_OR_RETURN(auto bytes, rows.Get(key));
  fv1::SessionBookings b;
  if (bytes && !b.ParseFromString(*bytes)) return absl::DataLossError("session row " + key);
  RETURN_IF_ERROR(dref::EvolveSession(b, event));
  b.set_version(env.aggregate_version());
  rows.Put(key, b.SerializeAsString());
  return absl::OkStatus();
}

}  // namespace

absl::Status ReferralProjector::Apply(const events::v1::Envelope& env, eventstore::ProjectionBatch& rows) {
  if (env.aggregate_type() == dref::kReferral) return ApplyReferral(env, rows);
  if (env.aggregate_type() == dref::kExpertSession) return ApplySession(env, rows);
  if (command::IsRevealRecord(env.aggregate_type())) return absl::OkStatus();  // for the audit, not the views
  return absl::InvalidArgumentError(
      absl::StrCat("the referral journal has no aggregate \"", env.aggregate_type(), "\""));
}

absl::StatusOr<std::optional<fv1::ReferralReply>> ReferralView::Referral(const std::string& id) const {
  ASSIGN_OR_RETURN(auto bytes, store_->Get(Family::kProjection, RowKey(id)));
  if (!bytes) return std::nullopt;
  fv1::ReferralReply row;
  if (!row.ParseFromString(*bytes)) return absl::DataLossError("referral row " + id);
  return row;
}

absl::StatusOr<fv1::SessionBookings> ReferralView::Bookings(const std::string& session_id) const {
  ASSIGN_OR_RETURN(auto bytes, store_->Get(Family::kProjection, SessionKey(session_id)));
  fv1::SessionBookings b;
  b.set_session_id(session_id);
  if (bytes && !b.ParseFromString(*bytes)) return absl::DataLossError("session row " + session_id);
  return b;
}

absl::StatusOr<fv1::ListWorklistResponse> ReferralView::Worklist(const std::string& list,
                                                                 const std::string& institution_id, fv1::Status status,
                                                                 const common::v1::PageRequest& request,
                                                                 const Keep& keep) const {
  const std::string prefix = list == "e" || list == "p"          ? ListPrefix(list, institution_id)
                             : status == fv1::STATUS_UNSPECIFIED ? ListPrefix(list, institution_id)
                                                                 : StatusPrefix(list, institution_id, status);
  ASSIGN_OR_RETURN(auto page, registry_model::PageOf(request, prefix));
  fv1::ListWorklistResponse out;
  absl::Status failed;
  auto scanned = store_->Scan(Family::kProjection, prefix, page.ScanStart(), [&](std::string_view k, std::string_view) {
    if (!page.Room(out.mutable_page())) return false;
    const std::string id(k.substr(k.rfind('\0') + 1));
    auto row = Referral(id);
    if (!row.ok() || !*row) {
      failed = row.ok() ? absl::DataLossError("worklist row without its referral " + id) : row.status();
      return false;
    }
    if (keep && !keep((*row)->referral())) return true;  // passed over
    *out.add_referrals() = std::move(**row);
    page.Take(k);
    return true;
  });
  if (!scanned.ok()) return scanned.status();
  RETURN_IF_ERROR(failed);
  return out;
}

absl::StatusOr<std::vector<std::string>> ReferralView::Due(absl::Time now, size_t max) const {
  std::vector<std::string> ids;
  const std::string end = TimerKey(now + absl::Milliseconds(1), "");
  auto scanned = store_->ScanRange(Family::kProjection, "t/", end, [&](std::string_view k, std::string_view) {
    ids.emplace_back(k.substr(2 + 8));
    return ids.size() < max;
  });
  if (!scanned.ok()) return scanned.status();
  return ids;
}

}  // namespace yilian::referral
