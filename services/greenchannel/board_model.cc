#include "board_model.h"

#include <set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "yilian/command/reveal_record.h"
#include "yilian/common/oneof_event.h"
#include "yilian/common/status_macros.h"
#include "yilian/common/strings.h"
#include "yilian/common/timestamp.h"
#include "yilian/domain/greenchannel/bed_board.h"
#include "yilian/domain/greenchannel/bed_request.h"
#include "yilian/domain/greenchannel/emergency_case.h"

namespace yilian::greenchannel {

namespace gv1 = ::yilian::greenchannel::v1;

namespace dgc = ::yilian::domain::greenchannel;
using eventstore::Family;

namespace {

constexpr char kSep = '\0';

std::string ExpiryKey(int64_t expires_at_ms, const std::string& ward_key, const std::string& hold_id) {
  return absl::StrCat("x/", eventstore::EncodeU64(static_cast<uint64_t>(std::max<int64_t>(0, expires_at_ms))), ward_key,
                      std::string(1, kSep), hold_id);
}
std::string OpenKey(const std::string& centre, const std::string& case_id) {
  return absl::StrCat("o/", centre, std::string(1, kSep), case_id);
}
std::string InboundKey(const std::string& institution, const std::string& case_id) {
  return absl::StrCat("i/", institution, std::string(1, kSep), case_id);
}

template <typename Row>
absl::StatusOr<std::optional<Row>> Load(eventstore::ProjectionBatch& rows, const std::string& key) {
  ASSIGN_OR_RETURN(auto bytes, rows.Get(key));
  if (!bytes) return std::optional<Row>();
  Row row;
  if (!row.ParseFromString(*bytes))
    return absl::DataLossError(absl::StrCat("row ", common::Sv(key), " does not parse"));
  return std::optional<Row>(std::move(row));
}

template <typename Row>
absl::StatusOr<std::optional<Row>> Read(const eventstore::Store& store, const std::string& key) {
  ASSIGN_OR_RETURN(auto bytes, store.Get(Family::kProjection, key));
  if (!bytes) return std::optional<Row>();
  Row row;
  if (!row.ParseFromString(*bytes))
    return absl::DataLossError(absl::StrCat("row ", common::Sv(key), " does not parse"));
  return std::optional<Row>(std::move(row));
}

}  // namespace

std::string WardKey(const std::string& institution_id, const std::string& ward_id) {
  return absl::StrCat(institution_id, "/", ward_id);
}

gv1::WardStatus StatusOf(gv1::WardBoard board_in, int64_t version) {
  gv1::WardStatus s;
  *s.mutable_board() = std::move(board_in);
  const gv1::WardBoard& board = s.board();
  s.set_version(version);
  s.set_held(board.holds_size());
  s.set_occupied(board.admissions_size());
  s.set_over_capacity(board.holds_size() + board.admissions_size() > board.capacity());
  s.set_free_general(dgc::FreeBeds(board, gv1::REFERRAL));
  s.set_free_reserve(dgc::FreeBeds(board, gv1::EMERGENCY) - s.free_general());
  return s;
}

absl::Status BoardProjector::Apply(const events::v1::Envelope& env, eventstore::ProjectionBatch& rows) {
  const std::string& type = env.aggregate_type();
  if (type == kWard) return ApplyWard(env, rows);
  if (type == kCase) return ApplyCase(env, rows);
  if (type == kBedRequest) return ApplyRequest(env, rows);
  if (command::IsRevealRecord(env.aggregate_type())) return absl::OkStatus();  // for the audit, not the views
  return absl::InvalidArgumentError(absl::StrCat("unknown aggregate type \"", type, "\""));
}

absl::Status BoardProjector::ApplyWard(const events::v1::Envelope& env, eventstore::ProjectionBatch& rows) {
  ASSIGN_OR_RETURN(auto e, common::UnpackEvent<gv1::BoardEvent>(env));
  const std::string key = "w/" + env.aggregate_id();
  ASSIGN_OR_RETURN(auto row, Load<gv1::WardStatus>(rows, key));
  std::optional<gv1::WardBoard> board;
  std::vector<std::pair<int64_t, std::string>> held_before;  // (expires at, hold id)
  if (row) {
    for (const auto& h : row->board().holds()) held_before.emplace_back(common::UnixMs(h.expires_at()), h.hold_id());
    board = std::move(*row->mutable_board());
  }
  RETURN_IF_ERROR(dgc::Evolve(board, e));
  // The expiry index follows the set of live holds.
  std::set<std::string> now_held;
  for (const auto& h : board->holds()) now_held.insert(h.hold_id());
  for (const auto& [expires_at_ms, hold_id] : held_before)
    if (!now_held.count(hold_id)) rows.Delete(ExpiryKey(expires_at_ms, env.aggregate_id(), hold_id));
  if (e.has_held()) {
    const auto& h = e.held().hold();
    rows.Put(ExpiryKey(common::UnixMs(h.expires_at()), env.aggregate_id(), h.hold_id()), "");
  }
  rows.Put(key, StatusOf(std::move(*board), env.aggregate_version()).SerializeAsString());
  return absl::OkStatus();
}

absl::Status BoardProjector::ApplyCase(const events::v1::Envelope& env, eventstore::ProjectionBatch& rows) {
  ASSIGN_OR_RETURN(auto e, common::UnpackEvent<gv1::CaseEvent>(env));
  const std::string key = "c/" + env.aggregate_id();
  ASSIGN_OR_RETURN(auto row, Load<gv1::CaseReply>(rows, key));
  std::optional<gv1::EmergencyCase> c;
  if (row) c = std::move(*row->mutable_emergency_case());
  if (c && c->status() == gv1::EN_ROUTE) rows.Delete(InboundKey(c->placement().institution_id(), c->case_id()));
  RETURN_IF_ERROR(dgc::Evolve(c, e));
  if (c->status() == gv1::EN_ROUTE) rows.Put(InboundKey(c->placement().institution_id(), c->case_id()), "");
  if (c->status() == gv1::CLOSED)
    rows.Delete(OpenKey(c->dispatch_centre(), c->case_id()));
  else
    rows.Put(OpenKey(c->dispatch_centre(), c->case_id()), "");
  gv1::CaseReply out;
  *out.mutable_clocks() = dgc::ClocksOf(*c);
  YILIAN_SET_MS(out, eta, dgc::EtaMs(*c));
  *out.mutable_emergency_case() = std::move(*c);
  out.set_version(env.aggregate_version());
  rows.Put(key, out.SerializeAsString());
  return absl::OkStatus();
}

absl::Status BoardProjector::ApplyRequest(const events::v1::Envelope& env, eventstore::ProjectionBatch& rows) {
  ASSIGN_OR_RETURN(auto e, common::UnpackEvent<gv1::BedRequestEvent>(env));
  const std::string key = "q/" + env.aggregate_id();
  ASSIGN_OR_RETURN(auto row, Load<gv1::BedRequestReply>(rows, key));
  std::optional<gv1::BedRequest> r;
  if (row) r = std::move(*row->mutable_request());
  RETURN_IF_ERROR(dgc::Evolve(r, e));
  gv1::BedRequestReply out;
  *out.mutable_request() = std::move(*r);
  out.set_version(env.aggregate_version());
  rows.Put(key, out.SerializeAsString());
  return absl::OkStatus();
}

// ---- reads ----

absl::StatusOr<std::optional<gv1::WardStatus>> BoardView::Ward(const std::string& ward_key) const {
  return Read<gv1::WardStatus>(*store_, "w/" + ward_key);
}
absl::StatusOr<std::optional<gv1::CaseReply>> BoardView::Case(const std::string& case_id) const {
  return Read<gv1::CaseReply>(*store_, "c/" + case_id);
}
absl::StatusOr<std::optional<gv1::BedRequestReply>> BoardView::Request(const std::string& request_id) const {
  return Read<gv1::BedRequestReply>(*store_, "q/" + request_id);
}

absl::Status BoardView::ForEachWard(const std::string& institution_id,
                                    absl::FunctionRef<bool(const gv1::WardStatus&)> fn) const {
  const std::string prefix = institution_id.empty() ? "w/" : absl::StrCat("w/", institution_id, "/");
  absl::Status bad;
  auto n = store_->Scan(Family::kProjection, prefix, "", [&](std::string_view key, std::string_view value) {
    gv1::WardStatus s;
    if (!s.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      bad = absl::DataLossError(absl::StrCat("row ", common::Sv(key), " does not parse"));
      return false;
    }
    return fn(s);
  });
  if (!n.ok()) return n.status();
  return bad;
}

absl::StatusOr<std::vector<DueHold>> BoardView::DueHolds(int64_t now_ms, size_t max) const {
  std::vector<DueHold> out;
  // Only keys due by now: holds not yet due, and the many deleted index rows of released
  // ones (their deadlines are in the future), are never stepped over.
  const std::string end = "x/" + eventstore::EncodeU64(static_cast<uint64_t>(std::max<int64_t>(0, now_ms)) + 1);
  auto n = store_->ScanRange(Family::kProjection, "x/", end, [&](std::string_view key, std::string_view) {
    std::string_view rest = key.substr(2);
    if (rest.size() < 8 || out.size() >= max) return false;
    const size_t sep = rest.find(kSep, 8);
    if (sep == std::string_view::npos) return true;
    out.push_back({std::string(rest.substr(8, sep - 8)), std::string(rest.substr(sep + 1)),
                   static_cast<int64_t>(eventstore::DecodeU64(rest.substr(0, 8)))});
    return true;
  });
  if (!n.ok()) return n.status();
  return out;
}

absl::Status BoardView::ForEachOpenCase(const std::string& centre, const std::string& after_case,
                                        absl::FunctionRef<bool(const gv1::CaseReply&)> fn) const {
  const std::string prefix = absl::StrCat("o/", centre, std::string(1, kSep));
  const std::string start = after_case.empty() ? "" : prefix + after_case + std::string(1, kSep);
  absl::Status bad;
  auto n = store_->Scan(Family::kProjection, prefix, start, [&](std::string_view key, std::string_view) {
    auto row = Case(std::string(key.substr(prefix.size())));
    if (!row.ok() || !*row) {
      bad = row.ok() ? absl::DataLossError(absl::StrCat("open case index names a missing case")) : row.status();
      return false;
    }
    return fn(**row);
  });
  if (!n.ok()) return n.status();
  return bad;
}

absl::Status BoardView::ForEachInboundCase(const std::string& institution,
                                           absl::FunctionRef<bool(const gv1::CaseReply&)> fn) const {
  const std::string prefix = absl::StrCat("i/", institution, std::string(1, kSep));
  absl::Status bad;
  auto n = store_->Scan(Family::kProjection, prefix, "", [&](std::string_view key, std::string_view) {
    auto row = Case(std::string(key.substr(prefix.size())));
    if (!row.ok() || !*row) {
      bad = row.ok() ? absl::DataLossError("inbound case index names a missing case") : row.status();
      return false;
    }
    return fn(**row);
  });
  if (!n.ok()) return n.status();
  return bad;
}

absl::Status BoardView::ForEachCase(absl::FunctionRef<bool(const gv1::CaseReply&)> fn) const {
  absl::Status bad;
  auto n = store_->Scan(Family::kProjection, "c/", "", [&](std::string_view key, std::string_view value) {
    gv1::CaseReply r;
    if (!r.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      bad = absl::DataLossError(absl::StrCat("row ", common::Sv(key), " does not parse"));
      return false;
    }
    return fn(r);
  });
  if (!n.ok()) return n.status();
  return bad;
}

int64_t BoardView::HoldExpiry(const gv1::EmergencyCase& c) const {
  if (c.hold_id().empty() || c.placement().ward_id().empty()) return 0;
  auto ward = Ward(WardKey(c.placement().institution_id(), c.placement().ward_id()));
  if (!ward.ok() || !*ward) return 0;
  for (const auto& h : (*ward)->board().holds())
    if (h.hold_id() == c.hold_id()) return common::UnixMs(h.expires_at());
  return 0;
}

}  // namespace yilian::greenchannel
