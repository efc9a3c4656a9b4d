#include "referral_model.h"

#include "absl/strings/str_cat.h"
#include "yilian/common/oneof_event.h"
#include "yilian/common/status_macros.h"
#include "yilian/domain/referral/referral.h"
#include "yilian/domain/referral/slots.h"

namespace yilian::referral {

namespace dr = ::yilian::domain::referral;
using eventstore::Family;

namespace {

const std::string kNul(1, '\0');

std::string RowKey(const std::string& id) { return "r/" + id; }
std::string SessionKey(const std::string& id) { return "s/" + id; }

std::string ListPrefix(const std::string& list, const std::string& institution) {
  return absl::StrCat(list, "/", institution, kNul);
}
std::string StatusPrefix(const std::string& list, const std::string& institution, fv1::Status s) {
  return absl::StrCat(list, "/", institution, kNul, absl::Dec(static_cast<int>(s), absl::kZeroPad2), kNul);
}
std::string ListKey(const std::string& list, const std::string& institution, const fv1::Referral& r) {
  std::string key = StatusPrefix(list, institution, r.status());
  absl::StrAppend(&key, 9 - static_cast<int>(r.priority()), kNul,
                  eventstore::EncodeU64(static_cast<uint64_t>(r.submitted_at_ms())), kNul, r.referral_id());
  return key;
}
std::string TimerKey(absl::Time due, const std::string& id) {
  return absl::StrCat("t/", eventstore::EncodeU64(static_cast<uint64_t>(absl::ToUnixMillis(due))), id);
}

// The index rows a referral state stands in.
std::vector<std::string> IndexKeys(const fv1::Referral& r) {
  std::vector<std::string> keys{ListKey("in", r.receiver_institution_id(), r), ListKey("out", r.sender_institution_id(), r)};
  const absl::Time due = dr::NextTimer(r);
  if (due != absl::InfiniteFuture()) keys.push_back(TimerKey(due, r.referral_id()));
  return keys;
}

absl::Status ApplyReferral(const events::v1::Envelope& env, eventstore::ProjectionBatch& rows) {
  ASSIGN_OR_RETURN(auto event, common::UnpackEvent<fv1::ReferralEvent>(env));
  const std::string key = RowKey(env.aggregate_id());
  ASSIGN_OR_RETURN(auto bytes, rows.Get(key));
  std::optional<fv1::Referral> state;
  std::string flow = env.correlation_id();
  if (bytes) {
    fv1::ReferralReply row;
    if (!row.ParseFromString(*bytes)) return absl::DataLossError("referral row " + key);
    if (!row.correlation_id().empty()) flow = std::move(*row.mutable_correlation_id());
    state = std::move(*row.mutable_referral());
    for (const auto& k : IndexKeys(*state)) rows.Delete(k);
  }
  RETURN_IF_ERROR(dr::Evolve(state, event));
  const std::vector<std::string> index = IndexKeys(*state);
  fv1::ReferralReply row;
  *row.mutable_referral() = std::move(*state);
  row.set_correlation_id(std::move(flow));
  row.set_version(env.aggregate_version());
  rows.Put(key, row.SerializeAsString());
  for (const auto& k : index) rows.Put(k, "");
  return absl::OkStatus();
}

absl::Status ApplySession(const events::v1::Envelope& env, eventstore::ProjectionBatch& rows) {
  ASSIGN_OR_RETURN(auto event, common::UnpackEvent<fv1::SessionEvent>(env));
  const std::string key = SessionKey(env.aggregate_id());
  ASSIGN_OR_RETURN(auto bytes, rows.Get(key));
  fv1::SessionBookings b;
  if (bytes && !b.ParseFromString(*bytes)) return absl::DataLossError("session row " + key);
  RETURN_IF_ERROR(dr::EvolveSession(b, event));
  b.set_version(env.aggregate_version());
  rows.Put(key, b.SerializeAsString());
  return absl::OkStatus();
}

}  // namespace

absl::Status ReferralProjector::Apply(const events::v1::Envelope& env, eventstore::ProjectionBatch& rows) {
  if (env.aggregate_type() == dr::kReferral) return ApplyReferral(env, rows);
  if (env.aggregate_type() == dr::kExpertSession) return ApplySession(env, rows);
  return absl::InvalidArgumentError(absl::StrCat("the referral journal has no aggregate \"", env.aggregate_type(), "\""));
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
                                                                 const common::v1::PageRequest& request) const {
  const std::string prefix =
      status == fv1::STATUS_UNSPECIFIED ? ListPrefix(list, institution_id) : StatusPrefix(list, institution_id, status);
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
