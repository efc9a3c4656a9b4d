#include "board_writer.h"

#include <functional>

#include "absl/strings/str_cat.h"
#include "yilian/common/oneof_event.h"
#include "yilian/common/sha256.h"
#include "yilian/domain/greenchannel/bed_board.h"
#include "yilian/domain/greenchannel/emergency_case.h"

namespace yilian::greenchannel {

namespace dg = ::yilian::domain::greenchannel;

namespace {

// Locks one ward, or two in a deadlock-free order (one when they share a stripe).
class WardGuard {
 public:
  WardGuard(std::mutex* a, std::mutex* b) {
    if (b == nullptr || a == b) {
      a->lock();
      held_ = {a, nullptr};
    } else {
      std::lock(*a, *b);
      held_ = {a, b};
    }
  }
  ~WardGuard() {
    held_.first->unlock();
    if (held_.second) held_.second->unlock();
  }
  WardGuard(const WardGuard&) = delete;
  WardGuard& operator=(const WardGuard&) = delete;

 private:
  std::pair<std::mutex*, std::mutex*> held_;
};

std::optional<gv1::WardBoard> BoardOf(const std::optional<gv1::WardStatus>& row) {
  if (!row) return std::nullopt;
  return row->board();
}

std::string WardKeyOf(const gv1::Placement& p) {
  return p.ward_id().empty() || p.step() == gv1::LEAD_OVERFLOW ? "" : WardKey(p.institution_id(), p.ward_id());
}

const gv1::BedHold* FindHold(const std::optional<gv1::WardBoard>& w, const std::string& id) {
  if (!w) return nullptr;
  for (const auto& h : w->holds())
    if (h.hold_id() == id) return &h;
  return nullptr;
}

template <typename Events, typename State>
absl::Status Fold(std::optional<State>& state, const Events& events) {
  for (const auto& e : events)
    if (auto s = dg::Evolve(state, e); !s.ok()) return absl::InternalError(s.ToString());
  return absl::OkStatus();
}

bool Retry(const absl::Status& s) { return absl::IsAborted(s); }

// The answer to an append: `mine` when this call wrote it, the stored first answer when the
// append was a retry answered from its idempotency record.
template <typename Reply>
Reply FirstReply(const std::vector<eventstore::AppendResult>& results, Reply mine) {
  if (!results.front().duplicate) return mine;
  Reply out;
  out.ParseFromString(results.front().response);
  return out;
}

}  // namespace

std::mutex& BoardWriter::LockOf(const std::string& ward_key) const {
  return locks_[std::hash<std::string>{}(ward_key) % locks_.size()];
}

absl::Status BoardWriter::LoadBoard() const {
  if (loaded_) return absl::OkStatus();
  auto s = view_->ForEachWard("", [&](const gv1::WardStatus& w) {
    overlay_[WardKey(w.board().institution_id(), w.board().ward_id())].status = w;
    return true;
  });
  if (!s.ok()) {
    overlay_.clear();
    return s;
  }
  loaded_ = true;
  return absl::OkStatus();
}

absl::StatusOr<std::optional<gv1::WardStatus>> BoardWriter::LoadWard(const std::string& key) const {
  std::unique_lock lock(overlay_mu_);
  if (auto s = LoadBoard(); !s.ok()) return s;
  auto it = overlay_.find(key);
  if (it == overlay_.end()) return std::optional<gv1::WardStatus>();
  if (it->second.stale) {
    // The caller holds the ward's lock, so nothing new is queued for it: once what is in
    // flight is answered, the projection has every durable change.
    overlay_cv_.wait(lock, [&] { return it->second.in_flight == 0; });
    auto row = view_->Ward(key);
    if (!row.ok()) return row.status();
    if (!*row) {
      overlay_.erase(it);
      return std::optional<gv1::WardStatus>();
    }
    it->second.status = **row;
    it->second.stale = false;
  }
  return std::optional<gv1::WardStatus>(it->second.status);
}

absl::StatusOr<std::vector<dg::Site>> BoardWriter::SitesFor(const std::string& consortium_id,
                                                            const std::set<std::string>& exclude) const {
  auto sites = sites_->Sites(consortium_id, exclude);
  if (!sites.ok()) return sites;
  std::map<std::string, dg::Site*> at;
  for (auto& site : *sites) at[site.institution.institution_id()] = &site;
  std::lock_guard lock(overlay_mu_);
  if (auto s = LoadBoard(); !s.ok()) return s;
  for (const auto& [key, live] : overlay_) {
    // A stale ward's counts may include a hold that was never written: read the projection
    // (the decision itself, under the ward's lock, waits for the exact state).
    std::optional<gv1::WardStatus> fresh;
    if (live.stale) {
      auto row = view_->Ward(key);
      if (row.ok() && *row) fresh = **row;
    }
    const auto& w = fresh ? *fresh : live.status;
    auto it = at.find(w.board().institution_id());
    if (it == at.end()) continue;
    dg::WardBeds beds;
    beds.ward_id = w.board().ward_id();
    beds.kind = w.board().kind();
    beds.free = w.free_general();
    beds.free_reserve = w.free_reserve();
    it->second->wards.push_back(std::move(beds));
  }
  return sites;
}

absl::StatusOr<BoardWriter::Queued> BoardWriter::Enqueue(const Call& call, std::vector<Part> parts,
                                                         const std::string& response) {
  Queued q;
  q.done = std::make_shared<std::promise<absl::StatusOr<std::vector<eventstore::AppendResult>>>>();
  std::vector<std::pair<std::string, gv1::WardStatus>> after;
  std::vector<eventstore::AppendRequest> reqs;
  for (auto& p : parts) {
    if (p.events.empty()) continue;
    if (std::string(p.type) == kWard) {  // the ward as this append leaves it
      auto row = LoadWard(p.id);
      if (!row.ok()) return row.status();
      std::optional<gv1::WardBoard> board = BoardOf(*row);
      for (const auto& env : p.events) {
        auto e = common::UnpackEvent<gv1::BoardEvent>(env);
        if (!e.ok()) return e.status();
        if (auto s = dg::Evolve(board, *e); !s.ok()) return absl::InternalError(s.ToString());
      }
      after.emplace_back(p.id, StatusOf(std::move(*board), p.version + static_cast<int64_t>(p.events.size())));
      q.wards.push_back(p.id);
    }
    eventstore::AppendRequest r;
    r.aggregate_type = p.type;
    r.aggregate_id = std::move(p.id);
    r.expected_version = p.version == 0 ? eventstore::kNoStream : p.version;
    r.actor = call.actor;
    r.correlation_id = call.correlation_id;
    r.causation_id = call.causation_id;
    r.events = std::move(p.events);
    if (reqs.empty()) {
      r.idempotency_key = call.idempotency_key;
      r.request_hash = call.request_hash;
      r.response = response;
    }
    reqs.push_back(std::move(r));
  }
  if (reqs.empty()) {
    q.done->set_value(std::vector<eventstore::AppendResult>{});
    return q;
  }
  {
    std::lock_guard lock(overlay_mu_);
    for (auto& [key, status] : after) {
      auto& live = overlay_[key];
      live.status = std::move(status);
      ++live.in_flight;
    }
  }
  journal_->AppendTransactionAsync(std::move(reqs), [done = q.done](auto result) mutable {
    done->set_value(std::move(result));
  });
  return q;
}

absl::StatusOr<std::vector<eventstore::AppendResult>> BoardWriter::Await(Queued q) {
  auto result = q.done->get_future().get();
  if (q.wards.empty()) return result;
  // A duplicate was answered from the first append of that key: this one's ward changes
  // were not written either.
  const bool written = result.ok() && !(!result->empty() && result->front().duplicate);
  {
    std::lock_guard lock(overlay_mu_);
    for (const auto& key : q.wards) {
      auto& live = overlay_[key];
      --live.in_flight;
      if (!written) live.stale = true;
    }
  }
  overlay_cv_.notify_all();
  return result;
}

absl::StatusOr<std::vector<eventstore::AppendResult>> BoardWriter::Commit(const Call& call, std::vector<Part> parts,
                                                                          const std::string& response,
                                                                          const std::function<void()>& unlock) {
  auto q = Enqueue(call, std::move(parts), response);
  if (!q.ok()) return q.status();
  if (unlock) unlock();
  return Await(std::move(*q));
}

absl::StatusOr<bool> BoardWriter::Answered(const Call& call, google::protobuf::Message* out) const {
  if (call.idempotency_key.empty()) return false;
  auto prior = journal_->FindIdempotent(call.idempotency_key, call.request_hash);
  if (!prior.ok()) return prior.status();
  if (!*prior) return false;
  if (!out->ParseFromString((*prior)->response)) return absl::DataLossError("stored answer does not parse");
  return true;
}

absl::StatusOr<gv1::CaseReply> BoardWriter::AwaitAnswer(const Call& call) const {
  const absl::Time until = absl::Now() + absl::Seconds(30);
  while (absl::Now() < until) {
    const int64_t head = journal_->head().sequence;
    gv1::CaseReply out;
    auto seen = Answered(call, &out);
    if (!seen.ok()) return seen.status();
    if (*seen) return out;
    journal_->WaitForHead(head, absl::Milliseconds(100));  // wakes at the next commit
  }
  return absl::UnavailableError("the same request is still being processed; retry");
}

absl::StatusOr<gv1::CaseReply> BoardWriter::LoadCase(const std::string& case_id, int64_t expected_version) const {
  if (case_id.empty()) return absl::InvalidArgumentError("case_id is required");
  if (expected_version < 0) return absl::InvalidArgumentError("expected_version must not be negative");
  auto row = view_->Case(case_id);
  if (!row.ok()) return row.status();
  if (!*row) return absl::NotFoundError(absl::StrCat("no emergency case \"", case_id, "\""));
  if (expected_version > 0 && (*row)->version() != expected_version)
    return absl::AbortedError(absl::StrCat("case \"", case_id, "\" is at version ", (*row)->version(), ", not ",
                                           expected_version, "; re-read and retry"));
  return **row;
}

gv1::BedHold BoardWriter::EmergencyHold(const std::string& case_id, int64_t n, int64_t now_ms) const {
  gv1::BedHold hold;
  hold.set_hold_id(absl::StrCat(case_id, "#", n));
  hold.set_purpose(gv1::EMERGENCY);
  hold.set_subject_id(case_id);
  hold.set_placed_at_ms(now_ms);
  hold.set_expires_at_ms(now_ms + absl::ToInt64Milliseconds(options_.emergency_hold));
  return hold;
}

gv1::CaseReply BoardWriter::ReplyOf(const gv1::EmergencyCase& c, int64_t version, int64_t hold_expires_at_ms) const {
  gv1::CaseReply r;
  *r.mutable_emergency_case() = c;
  r.set_version(version);
  r.set_hold_expires_at_ms(hold_expires_at_ms);
  *r.mutable_clocks() = dg::ClocksOf(c);
  return r;
}

// ---- emergency cases ----

absl::StatusOr<gv1::CaseReply> BoardWriter::OpenCase(const Call& call, const gv1::OpenCaseRequest& req,
                                                     const std::optional<common::v1::SealedIdentity>& sealed) {
  if (call.idempotency_key.empty()) return absl::InvalidArgumentError("request_id is required to open a case");
  gv1::CaseReply answered;
  auto seen = Answered(call, &answered);
  if (!seen.ok()) return seen.status();
  if (*seen) return answered;

  gv1::EmergencyCase desc;
  desc.set_case_id("case-" + common::Sha256Hex(call.idempotency_key).substr(0, 20));
  desc.set_condition(req.condition());
  desc.set_severity(req.severity());
  *desc.mutable_location() = req.location();
  desc.set_first_medical_contact_ms(req.first_medical_contact_ms());
  desc.set_dispatch_centre(req.dispatch_centre());
  desc.set_consortium_id(req.consortium_id());
  *desc.mutable_patient() = req.patient();
  if (sealed) *desc.mutable_sealed_identity() = *sealed;
  const auto index_patient = [&](Part& part) {  // the audit finds a patient's cases by this
    if (!desc.patient().value().empty())
      for (auto& env : part.events) *env.mutable_patient() = desc.patient();
  };
  const std::vector<std::string> actor_inst{call.actor.institution_id};
  absl::Status last = absl::AbortedError("the bed board kept changing");
  for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
    const int64_t now = NowMs();
    auto sites = SitesFor(req.consortium_id());
    if (!sites.ok()) return sites.status();
    if (attempt + 1 == options_.max_attempts)  // the board kept moving: never refuse, overflow
      for (auto& site : *sites) site.wards.clear();
    auto placement = dg::Place(req.condition(), req.location(), *sites, options_.placement);
    if (!placement.ok()) return placement.status();
    *desc.mutable_placement() = *placement;
    const std::string ward_key = WardKeyOf(*placement);
    if (ward_key.empty()) {  // lead overflow: no bed to hold
      auto events = dg::OpenCase(std::nullopt, desc, "");
      if (!events.ok()) return events.status();
      std::optional<gv1::EmergencyCase> next;
      if (auto s = Fold(next, *events); !s.ok()) return s;
      auto reply = ReplyOf(*next, 1, 0);
      Part part{kCase, desc.case_id(), 0, {}};
      Add(part, *events, {placement->institution_id()});
      index_patient(part);
      auto r = Commit(call, {std::move(part)}, reply.SerializeAsString());
      if (!r.ok()) return r.status();
      return FirstReply<gv1::CaseReply>(*r, std::move(reply));
    }
    std::optional<WardGuard> guard;
    guard.emplace(&LockOf(ward_key), nullptr);
    auto row = LoadWard(ward_key);
    if (!row.ok()) return row.status();
    const gv1::BedHold hold = EmergencyHold(desc.case_id(), 1, now);
    auto board_events = dg::PlaceHold(BoardOf(*row), hold);
    if (absl::IsFailedPrecondition(board_events.status())) {  // the bed went meanwhile: place again
      last = board_events.status();
      continue;
    }
    if (absl::IsAlreadyExists(board_events.status())) {
      // This very call is in flight (a client's concurrent retry): answer as it is answered.
      guard.reset();
      return AwaitAnswer(call);
    }
    if (!board_events.ok()) return board_events.status();
    auto events = dg::OpenCase(std::nullopt, desc, hold.hold_id());
    if (!events.ok()) return events.status();
    std::optional<gv1::EmergencyCase> next;
    if (auto s = Fold(next, *events); !s.ok()) return s;
    auto reply = ReplyOf(*next, 1, hold.expires_at_ms());
    Part c{kCase, desc.case_id(), 0, {}};
    Add(c, *events, {placement->institution_id()});
    index_patient(c);
    Part w{kWard, ward_key, (*row)->version(), {}};
    Add(w, *board_events, {placement->institution_id()});
    auto queued = Enqueue(call, {std::move(c), std::move(w)}, reply.SerializeAsString());
    if (!queued.ok()) return queued.status();
    guard.reset();  // the next decision on this ward sees this hold already; only the reply waits
    auto r = Await(std::move(*queued));
    if (Retry(r.status())) {
      last = r.status();
      continue;
    }
    if (!r.ok()) return r.status();
    return FirstReply<gv1::CaseReply>(*r, std::move(reply));
  }
  return last;
}

absl::StatusOr<gv1::CaseReply> BoardWriter::RedirectCase(const Call& call, const std::string& case_id,
                                                         int64_t expected_version, const std::string& reason,
                                                         bool hold_expired) {
  gv1::CaseReply answered;
  auto seen = Answered(call, &answered);
  if (!seen.ok()) return seen.status();
  if (*seen) return answered;
  if (reason.empty()) return absl::InvalidArgumentError("reason is required");
  absl::Status last = absl::AbortedError("the bed board kept changing");
  for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
    auto row = LoadCase(case_id, expected_version);
    if (!row.ok()) return row.status();
    const gv1::EmergencyCase& c = row->emergency_case();
    if (c.status() != gv1::EN_ROUTE)  // the core says it precisely; avoid placing for nothing
      return dg::RedirectCase(c, c.placement(), c.hold_id(), reason).status();
    std::set<std::string> exclude;
    if (!hold_expired) exclude.insert(c.placement().institution_id());
    auto sites = SitesFor(c.consortium_id(), exclude);
    if (!sites.ok()) return sites.status();
    auto placement = dg::Place(c.condition(), c.location(), *sites, options_.placement);
    if (!placement.ok()) return placement.status();
    const std::string old_key = c.hold_id().empty() ? "" : WardKeyOf(c.placement());
    const std::string new_key = WardKeyOf(*placement);
    std::mutex* a = old_key.empty() ? nullptr : &LockOf(old_key);
    std::mutex* b = new_key.empty() ? nullptr : &LockOf(new_key);
    std::optional<WardGuard> guard;
    if (a || b) guard.emplace(a ? a : b, a ? b : nullptr);
    // Fresh state under the locks.
    auto fresh = LoadCase(case_id, 0);
    if (!fresh.ok()) return fresh.status();
    if (fresh->version() != row->version()) continue;
    const int64_t now = NowMs();
    std::vector<Part> parts;
    parts.push_back({kCase, case_id, row->version(), {}});
    std::optional<gv1::WardBoard> old_board;
    int64_t old_version = 0;
    if (!old_key.empty()) {
      auto w = LoadWard(old_key);
      if (!w.ok()) return w.status();
      old_board = BoardOf(*w);
      old_version = *w ? (*w)->version() : 0;
      if (FindHold(old_board, c.hold_id())) {
        dg::BoardEvents ev;
        if (hold_expired) {
          gv1::BoardEvent e;
          e.mutable_hold_expired()->set_hold_id(c.hold_id());
          ev.push_back(e);
        } else {
          auto rel = dg::ReleaseHold(old_board, c.hold_id(), absl::StrCat("redirected: ", reason));
          if (!rel.ok()) return rel.status();
          ev = *rel;
        }
        if (auto s = Fold(old_board, ev); !s.ok()) return s;
        parts.push_back({kWard, old_key, old_version, {}});
        Add(parts.back(), ev, {c.placement().institution_id()});
      }
    }
    std::string hold_id;
    int64_t expires = 0;
    if (!new_key.empty()) {
      std::optional<gv1::WardBoard> board;
      int64_t version = 0;
      if (new_key == old_key) {
        board = old_board;
        version = old_version;
      } else {
        auto w = LoadWard(new_key);
        if (!w.ok()) return w.status();
        board = BoardOf(*w);
        version = *w ? (*w)->version() : 0;
      }
      const gv1::BedHold hold = EmergencyHold(case_id, row->version() + 1, now);
      auto held = dg::PlaceHold(board, hold);
      if (absl::IsFailedPrecondition(held.status())) {
        last = held.status();
        continue;
      }
      if (!held.ok()) return held.status();
      hold_id = hold.hold_id();
      expires = hold.expires_at_ms();
      if (new_key == old_key && parts.size() == 2) {
        Add(parts.back(), *held, {placement->institution_id()});
      } else {
        parts.push_back({kWard, new_key, version, {}});
        Add(parts.back(), *held, {placement->institution_id()});
      }
    }
    auto events = dg::RedirectCase(c, *placement, hold_id, reason);
    if (!events.ok()) return events.status();
    std::optional<gv1::EmergencyCase> next = c;
    if (auto s = Fold(next, *events); !s.ok()) return s;
    auto reply = ReplyOf(*next, row->version() + 1, expires);
    Add(parts.front(), *events, {placement->institution_id(), c.placement().institution_id()});
    auto r = Commit(call, std::move(parts), reply.SerializeAsString(), [&] { guard.reset(); });
    if (Retry(r.status()) && expected_version == 0) {
      last = r.status();
      continue;
    }
    if (!r.ok()) return r.status();
    return FirstReply<gv1::CaseReply>(*r, std::move(reply));
  }
  return last;
}

absl::StatusOr<gv1::CaseReply> BoardWriter::CaseChange(const Call& call, const std::string& case_id,
                                                       int64_t expected_version, const DecideCase& decide,
                                                       const DecideHeldBed& held_bed) {
  // A conflict on the ward (its version moved under a failed append) is decided again; a
  // conflict with the caller's expected_version stays ABORTED (LoadCase reports it).
  absl::StatusOr<gv1::CaseReply> result = absl::AbortedError("not tried");
  for (int attempt = 0; attempt < options_.max_attempts && absl::IsAborted(result.status()); ++attempt) {
    gv1::CaseReply answered;
    auto seen = Answered(call, &answered);
    if (!seen.ok()) return seen.status();
    if (*seen) return answered;
    auto row = LoadCase(case_id, expected_version);
    if (!row.ok()) return row.status();
    const gv1::EmergencyCase& c = row->emergency_case();
    auto events = decide(c);
    if (!events.ok()) return events.status();
    std::optional<gv1::EmergencyCase> next = c;
    if (auto s = Fold(next, *events); !s.ok()) return s;
    std::vector<Part> parts;
    parts.push_back({kCase, c.case_id(), row->version(), {}});
    Add(parts.front(), *events, {c.placement().institution_id()});
    const std::string ward_key = c.hold_id().empty() ? "" : WardKeyOf(c.placement());
    std::optional<WardGuard> guard;
    if (held_bed && !ward_key.empty()) {
      guard.emplace(&LockOf(ward_key), nullptr);
      auto w = LoadWard(ward_key);
      if (!w.ok()) return w.status();
      if (FindHold(BoardOf(*w), c.hold_id())) {  // the hold is still there: what becomes of it
        auto bed = held_bed(BoardOf(*w), c);
        if (!bed.ok()) return bed.status();
        if (!bed->empty()) {
          parts.push_back({kWard, ward_key, (*w)->version(), {}});
          Add(parts.back(), *bed, {c.placement().institution_id()});
        }
      }
    }
    auto reply = ReplyOf(*next, row->version() + 1, 0);
    auto r = Commit(call, std::move(parts), reply.SerializeAsString(), [&] { guard.reset(); });
    if (!r.ok()) {
      result = r.status();
      continue;
    }
    return FirstReply<gv1::CaseReply>(*r, std::move(reply));
  }
  return result;
}

absl::StatusOr<gv1::CaseReply> BoardWriter::RecordMilestone(const Call& call, const gv1::RecordMilestoneRequest& req) {
  DecideHeldBed admit;  // ARRIVAL: the held bed becomes the admission
  if (req.milestone() == gv1::ARRIVAL)
    admit = [](const std::optional<gv1::WardBoard>& board, const gv1::EmergencyCase& c) {
      return dg::Admit(board, c.hold_id(), c.case_id());
    };
  auto out = CaseChange(
      call, req.case_id(), req.expected_version(),
      [&](const gv1::EmergencyCase& c) { return dg::RecordMilestone(c, req.milestone(), req.at_ms()); }, admit);
  if (out.ok() && req.milestone() != gv1::ARRIVAL) out->set_hold_expires_at_ms(view_->HoldExpiry(out->emergency_case()));
  return out;
}

absl::StatusOr<gv1::CaseReply> BoardWriter::CloseCase(const Call& call, const gv1::CloseCaseRequest& req) {
  const int64_t at = req.at_ms() > 0 ? req.at_ms() : NowMs();
  return CaseChange(
      call, req.case_id(), req.expected_version(),
      [&](const gv1::EmergencyCase& c) { return dg::CloseCase(c, req.outcome(), at); },
      [&](const std::optional<gv1::WardBoard>& board, const gv1::EmergencyCase& c) -> absl::StatusOr<dg::BoardEvents> {
        if (c.status() != gv1::EN_ROUTE) return dg::BoardEvents{};  // admitted: discharge frees the bed
        return dg::ReleaseHold(board, c.hold_id(), absl::StrCat("case closed: ", req.outcome()));  // nobody will come
      });
}

absl::StatusOr<gv1::WardStatus> BoardWriter::Discharge(const Call& call, const gv1::DischargeRequest& req) {
  // A conflict on the ward (its version moved under a failed append) is decided again; a
  // conflict with the caller's expected_version stays ABORTED (LoadCase reports it).
  auto r = DischargeOnce(call, req);
  for (int i = 1; i < options_.max_attempts && absl::IsAborted(r.status()); ++i) r = DischargeOnce(call, req);
  return r;
}

absl::StatusOr<gv1::WardStatus> BoardWriter::DischargeOnce(const Call& call, const gv1::DischargeRequest& req) {
  gv1::WardStatus answered;
  auto seen = Answered(call, &answered);
  if (!seen.ok()) return seen.status();
  if (*seen) return answered;
  if (req.institution_id().empty() || req.ward_id().empty())
    return absl::InvalidArgumentError("institution_id and ward_id are required");
  const std::string key = WardKey(req.institution_id(), req.ward_id());
  std::optional<WardGuard> guard;
  guard.emplace(&LockOf(key), nullptr);
  auto w = LoadWard(key);
  if (!w.ok()) return w.status();
  if (!*w) return absl::NotFoundError(absl::StrCat("ward ", key, " is not on the bed board"));
  auto events = dg::Vacate(BoardOf(*w), req.admission_id(), req.reason());
  if (!events.ok()) return events.status();
  auto board = BoardOf(*w);
  if (auto s = Fold(board, *events); !s.ok()) return s;
  auto reply = StatusOf(std::move(*board), (*w)->version() + 1);
  Part part{kWard, key, (*w)->version(), {}};
  Add(part, *events, {req.institution_id()});
  auto r = Commit(call, {std::move(part)}, reply.SerializeAsString(), [&] { guard.reset(); });
  if (!r.ok()) return r.status();
  return FirstReply<gv1::WardStatus>(*r, std::move(reply));
}

}  // namespace yilian::greenchannel
