#include "case_commands.h"

#include "absl/strings/str_cat.h"
#include "yilian/common/sha256.h"
#include "yilian/common/status_macros.h"
#include "yilian/common/timestamp.h"
#include "yilian/domain/greenchannel/access.h"
#include "yilian/domain/greenchannel/bed_board.h"
#include "yilian/domain/greenchannel/emergency_case.h"
#include "yilian/domain/limits/limits.h"
#include "yilian/domain/registry/registry.h"
#include "yilian/privacy/identity.h"

namespace yilian::greenchannel {

namespace dgc = ::yilian::domain::greenchannel;
namespace gv1 = ::yilian::greenchannel::v1;
using command::Call;

namespace {

constexpr char kService[] = "greenchannel";
constexpr char kExpiredReason[] = "the bed hold expired before arrival";

// The service's own calls (the expiry timer) act on any case. A remote SERVICE principal
// that happens to be named "greenchannel" is not one of them.
bool OwnCall(const Call& call) { return call.internal; }

}  // namespace

gv1::CaseReply CaseCommands::ReplyOf(const CaseStream& c, int64_t hold_expires_at_ms) const {
  gv1::CaseReply r;
  *r.mutable_emergency_case() = *c.state();
  r.set_version(c.version());
  YILIAN_SET_MS(r, hold_expires_at, hold_expires_at_ms);
  *r.mutable_clocks() = dgc::ClocksOf(*c.state());
  YILIAN_SET_MS(r, eta, dgc::EtaMs(*c.state()));
  return r;
}

absl::StatusOr<CaseStream> CaseCommands::LoadCase(const Call& call, const std::string& case_id,
                                                  int64_t expected_version) {
  // The role first (docs/ROLES.md): a caller refused learns nothing from the request.
  if (!OwnCall(call)) RETURN_IF_ERROR(dgc::MayReachCases(call.actor, /*read=*/false));
  RETURN_IF_ERROR(domain::limits::Reference("case_id", case_id));
  ASSIGN_OR_RETURN(auto row, board_->view().Case(case_id));
  if (!row) return absl::NotFoundError(absl::StrCat("no emergency case \"", case_id, "\""));
  if (!OwnCall(call)) RETURN_IF_ERROR(dgc::MayReachCase(call.actor, row->emergency_case(), /*read=*/false));
  RETURN_IF_ERROR(command::CheckVersion(dgc::kCase, case_id, row->version(), expected_version));
  return CaseStream(kCaseKind, case_id, row->emergency_case(), row->version());
}

// ---- open ----

absl::StatusOr<CaseCommands::Decision> CaseCommands::DecideOpen(const Call& call, const gv1::OpenCaseRequest& req,
                                                                const std::string& case_id) {
  // Instants against the clock are checked in the decision, so a retry is answered from its
  // record however late it comes.
  RETURN_IF_ERROR(domain::limits::Instant("first_medical_contact_at", req.first_medical_contact_at(), board_->Now(),
                                          dgc::kContactBack, dgc::kClockAhead));
  const BoardOptions& o = board_->options();
  // A hospital's own case is a transfer: placed anywhere but there, from there by default.
  const std::string origin = dgc::TransferOrigin(call.actor);
  gv1::EmergencyCase desc = dgc::CaseOf(req, case_id, origin);
  std::set<std::string> exclude;
  if (!origin.empty()) {
    exclude.insert(origin);
    if (!req.has_location()) {
      ASSIGN_OR_RETURN(auto all, board_->SitesFor(""));
      for (const auto& site : all)
        if (site.institution.institution_id() == origin) *desc.mutable_location() = site.institution.location();
    }
  }
  bool sealed = false;
  absl::Status last = absl::AbortedError("the bed board kept changing");
  for (int attempt = 0; attempt < o.max_attempts; ++attempt) {
    const int64_t now = board_->NowMs();
    ASSIGN_OR_RETURN(auto sites, board_->SitesFor(req.consortium_id(), exclude));
    if (attempt + 1 == o.max_attempts)  // the board kept moving: never refuse, overflow
      for (auto& site : sites) site.wards.clear();
    ASSIGN_OR_RETURN(*desc.mutable_placement(), dgc::Place(req.condition(), desc.location(), sites, o.placement));
    YILIAN_SET_MS(*desc.mutable_placement(), placed_at, now);
    if (!sealed) {  // the placement first: a refused call makes no key
      ASSIGN_OR_RETURN(auto identity, privacy::SealIdentity(*vault_, req.patient(), req.identity()));
      if (identity) *desc.mutable_sealed_identity() = *identity;
      sealed = true;
    }
    const std::string ward_key = WardKeyOf(desc.placement());
    Decision d;
    CaseStream c(kCaseKind, case_id, std::nullopt, 0);
    if (ward_key.empty()) {  // lead overflow: no bed to hold
      ASSIGN_OR_RETURN(auto events, dgc::OpenCase(std::nullopt, desc, ""));
      RETURN_IF_ERROR(c.Add(events));
      d.reply = ReplyOf(c, 0);
      d.Add(std::move(c));
      return d;
    }
    auto locks = board_->ward_locks().LockAll({ward_key});
    ASSIGN_OR_RETURN(auto ward, board_->LoadWard(ward_key));
    const gv1::BedHold hold = dgc::EmergencyHold(case_id, 1, now, absl::ToInt64Milliseconds(o.emergency_hold));
    auto held = dgc::PlaceHold(ward.state(), hold);
    if (absl::IsFailedPrecondition(held.status())) {  // the bed went meanwhile: place again
      last = held.status();
      continue;
    }
    if (!held.ok()) return held.status();
    ASSIGN_OR_RETURN(auto events, dgc::OpenCase(std::nullopt, desc, hold.hold_id()));
    RETURN_IF_ERROR(c.Add(events));
    RETURN_IF_ERROR(ward.Add(*held));
    d.reply = ReplyOf(c, common::UnixMs(hold.expires_at()));
    d.Add(std::move(c));
    std::vector<WardStream> wards;
    wards.push_back(std::move(ward));
    board_->Queue(d, std::move(wards), std::move(locks));
    return d;
  }
  return last;
}

absl::StatusOr<gv1::CaseReply> CaseCommands::Open(const Call& call, const gv1::OpenCaseRequest& req, Shape shape) {
  if (call.idempotency_key.empty()) return absl::InvalidArgumentError("request_id is required to open a case");
  if (!req.patient().value().empty()) RETURN_IF_ERROR(domain::registry::CheckPatientRef(req.patient()));
  const std::string case_id = "case-" + common::Sha256Hex(call.idempotency_key).substr(0, 20);
  return board_->runner().RunAndWait<gv1::CaseReply>(
      call, {&board_->case_locks(), case_id}, [&] { return DecideOpen(call, req, case_id); }, std::move(shape),
      board_->options().max_attempts);
}

// ---- redirect ----

absl::StatusOr<CaseCommands::Decision> CaseCommands::DecideReplace(const Call& call, const std::string& case_id,
                                                                   int64_t expected_version, const std::string& reason,
                                                                   bool hold_expired) {
  if (reason.empty()) return absl::InvalidArgumentError("reason is required");
  ASSIGN_OR_RETURN(auto loaded, LoadCase(call, case_id, expected_version));
  const gv1::EmergencyCase c = *loaded.state();
  if (c.status() != gv1::EN_ROUTE)  // the core says it precisely; avoid placing for nothing
    return dgc::RedirectCase(c, c.placement(), c.hold_id(), reason).status();
  const BoardOptions& o = board_->options();
  absl::Status last = absl::AbortedError("the bed board kept changing");
  for (int attempt = 0; attempt < o.max_attempts; ++attempt) {
    const int64_t now = board_->NowMs();
    std::set<std::string> exclude;
    if (!hold_expired) exclude.insert(c.placement().institution_id());
    if (!c.origin_institution_id().empty()) exclude.insert(c.origin_institution_id());  // a transfer never goes back
    ASSIGN_OR_RETURN(auto sites, board_->SitesFor(c.consortium_id(), exclude));
    ASSIGN_OR_RETURN(auto placement, dgc::Place(c.condition(), c.location(), sites, o.placement));
    YILIAN_SET_MS(placement, placed_at, now);
    const std::string old_key = c.hold_id().empty() ? "" : WardKeyOf(c.placement());
    const std::string new_key = WardKeyOf(placement);
    auto locks = board_->ward_locks().LockAll({old_key, new_key});
    std::vector<WardStream> wards;
    if (!old_key.empty()) {
      ASSIGN_OR_RETURN(auto w, board_->LoadWard(old_key));
      if (dgc::FindHold(w.state(), c.hold_id())) {
        dgc::BoardEvents let_go;
        if (hold_expired) {
          let_go = dgc::ExpireHold(w.state(), c.hold_id(), now);
          if (let_go.empty()) return absl::FailedPreconditionError(absl::StrCat("hold ", c.hold_id(), " is not due"));
        } else {
          ASSIGN_OR_RETURN(let_go, dgc::ReleaseHold(w.state(), c.hold_id(), absl::StrCat("redirected: ", reason)));
        }
        RETURN_IF_ERROR(w.Add(let_go));
      }
      wards.push_back(std::move(w));
    }
    std::string hold_id;
    int64_t expires = 0;
    if (!new_key.empty()) {
      if (new_key != old_key) {
        ASSIGN_OR_RETURN(auto w, board_->LoadWard(new_key));
        wards.push_back(std::move(w));
      }
      WardStream& target = wards.back();
      const gv1::BedHold hold =
          dgc::EmergencyHold(case_id, loaded.version() + 1, now, absl::ToInt64Milliseconds(o.emergency_hold));
      auto held = dgc::PlaceHold(target.state(), hold);
      if (absl::IsFailedPrecondition(held.status())) {  // the bed went meanwhile: place again
        last = held.status();
        continue;
      }
      if (!held.ok()) return held.status();
      RETURN_IF_ERROR(target.Add(*held));
      hold_id = hold.hold_id();
      expires = common::UnixMs(hold.expires_at());
    }
    CaseStream redirected(kCaseKind, case_id, c, loaded.version());
    ASSIGN_OR_RETURN(auto events, dgc::RedirectCase(c, placement, hold_id, reason));
    RETURN_IF_ERROR(redirected.Add(events));
    Decision d;
    d.reply = ReplyOf(redirected, expires);
    d.Add(std::move(redirected));
    board_->Queue(d, std::move(wards), std::move(locks));
    return d;
  }
  return last;
}

absl::StatusOr<gv1::CaseReply> CaseCommands::Replace(const Call& call, const std::string& case_id,
                                                     int64_t expected_version, const std::string& reason,
                                                     bool hold_expired, Shape shape) {
  return board_->runner().RunAndWait<gv1::CaseReply>(
      call, {&board_->case_locks(), case_id},
      [&] { return DecideReplace(call, case_id, expected_version, reason, hold_expired); }, std::move(shape),
      board_->options().max_attempts);
}

absl::StatusOr<gv1::CaseReply> CaseCommands::Redirect(const Call& call, const gv1::RedirectCaseRequest& req,
                                                      Shape shape) {
  return Replace(call, req.case_id(), req.expected_version(), req.reason(), /*hold_expired=*/false, std::move(shape));
}

absl::StatusOr<gv1::CaseReply> CaseCommands::PlaceAgainAfterExpiry(const std::string& case_id, int64_t version) {
  return Replace(command::ServiceCall(kService, case_id, "hold-expiry"), case_id, version, kExpiredReason,
                 /*hold_expired=*/true, nullptr);
}

// ---- milestones and close ----

absl::StatusOr<gv1::CaseReply> CaseCommands::Change(const Call& call, const std::string& case_id,
                                                    int64_t expected_version, DecideCase decide,
                                                    const DecideHeldBed& held_bed, bool show_hold, Shape shape) {
  return board_->runner().RunAndWait<gv1::CaseReply>(
      call, {&board_->case_locks(), case_id},
      [&]() -> absl::StatusOr<Decision> {
        ASSIGN_OR_RETURN(auto loaded, LoadCase(call, case_id, expected_version));
        const gv1::EmergencyCase c = *loaded.state();
        ASSIGN_OR_RETURN(auto events, decide(c));
        RETURN_IF_ERROR(loaded.Add(events));
        std::vector<WardStream> wards;
        command::Locks locks;
        const std::string ward_key = c.hold_id().empty() ? "" : WardKeyOf(c.placement());
        if (held_bed && !ward_key.empty()) {
          locks = board_->ward_locks().LockAll({ward_key});
          ASSIGN_OR_RETURN(auto w, board_->LoadWard(ward_key));
          if (dgc::FindHold(w.state(), c.hold_id())) {  // the hold is still there: what becomes of it
            ASSIGN_OR_RETURN(auto bed, held_bed(w.state(), c));
            RETURN_IF_ERROR(w.Add(bed));
          }
          wards.push_back(std::move(w));
        }
        Decision d;
        d.reply = ReplyOf(loaded, show_hold ? board_->view().HoldExpiry(*loaded.state()) : 0);
        d.Add(std::move(loaded));
        board_->Queue(d, std::move(wards), std::move(locks));
        return d;
      },
      std::move(shape), board_->options().max_attempts);
}

absl::StatusOr<gv1::CaseReply> CaseCommands::RecordMilestone(const Call& call, const gv1::RecordMilestoneRequest& req,
                                                             Shape shape) {
  const bool arrival = req.milestone() == gv1::ARRIVAL;
  DecideHeldBed admit;  // ARRIVAL: the held bed becomes the admission
  if (arrival)
    admit = [](const std::optional<gv1::WardBoard>& board, const gv1::EmergencyCase& c) {
      return dgc::Admit(board, c.hold_id(), c.case_id());
    };
  return Change(
      call, req.case_id(), req.expected_version(),
      [&](const gv1::EmergencyCase& c) -> absl::StatusOr<dgc::CaseEvents> {
        RETURN_IF_ERROR(domain::limits::Instant("at", req.at(), board_->Now(), dgc::kMilestoneBack, dgc::kClockAhead));
        return dgc::RecordMilestone(c, req.milestone(), common::UnixMs(req.at()));
      },
      admit,
      /*show_hold=*/!arrival, std::move(shape));
}

absl::StatusOr<gv1::CaseReply> CaseCommands::Acknowledge(const Call& call, const gv1::AcknowledgeCaseRequest& req,
                                                         Shape shape) {
  return Change(
      call, req.case_id(), req.expected_version(),
      [&](const gv1::EmergencyCase& c) -> absl::StatusOr<dgc::CaseEvents> {
        RETURN_IF_ERROR(dgc::MayAcknowledge(call.actor, c));
        return dgc::AcknowledgeCase(c, c.placement().institution_id(), board_->NowMs());
      },
      nullptr, /*show_hold=*/true, std::move(shape));
}

absl::StatusOr<gv1::CaseReply> CaseCommands::Close(const Call& call, const gv1::CloseCaseRequest& req, Shape shape) {
  const int64_t at = common::UnixMs(req.at()) > 0 ? common::UnixMs(req.at()) : board_->NowMs();
  return Change(
      call, req.case_id(), req.expected_version(),
      [&](const gv1::EmergencyCase& c) -> absl::StatusOr<dgc::CaseEvents> {
        RETURN_IF_ERROR(domain::limits::Instant("at", req.at(), board_->Now(), dgc::kMilestoneBack, dgc::kClockAhead,
                                                /*required=*/false));
        return dgc::CloseCase(c, req.outcome(), at);
      },
      [&](const std::optional<gv1::WardBoard>& board, const gv1::EmergencyCase& c) -> absl::StatusOr<dgc::BoardEvents> {
        if (c.status() != gv1::EN_ROUTE) return dgc::BoardEvents{};  // admitted: discharge frees the bed
        return dgc::ReleaseHold(board, c.hold_id(), absl::StrCat("case closed: ", req.outcome()));  // nobody will come
      },
      /*show_hold=*/false, std::move(shape));
}

// ---- the expiry timer's last resort ----

absl::Status CaseCommands::ExpireUnplaced(const DueHold& due, const gv1::BedHold& hold) {
  const bool emergency = hold.purpose() == gv1::EMERGENCY;
  const Call call = command::ServiceCall(kService, emergency ? hold.subject_id() : "", "hold-expiry");
  command::Runner::Lock owner;  // the case the hold was for, if any
  if (emergency) owner = {&board_->case_locks(), hold.subject_id()};
  return board_->runner()
      .RunAndWait<gv1::CaseReply>(
          call, owner,
          [&]() -> absl::StatusOr<Decision> {
            auto locks = board_->ward_locks().LockAll({due.ward_key});
            ASSIGN_OR_RETURN(auto ward, board_->LoadWard(due.ward_key));
            const auto expired = dgc::ExpireHold(ward.state(), due.hold_id, board_->NowMs());
            Decision d;
            if (expired.empty()) return d;  // gone meanwhile (or not due): nothing to do
            if (emergency) {
              ASSIGN_OR_RETURN(auto row, board_->view().Case(hold.subject_id()));
              if (row && row->emergency_case().hold_id() == hold.hold_id() &&
                  row->emergency_case().status() == gv1::EN_ROUTE) {
                CaseStream c(kCaseKind, hold.subject_id(), row->emergency_case(), row->version());
                ASSIGN_OR_RETURN(auto events,
                                 dgc::KeepDestinationAsOverflow(
                                     c.state(), absl::StrCat(kExpiredReason, " and no bed could be found again")));
                RETURN_IF_ERROR(c.Add(events));
                d.reply = ReplyOf(c, 0);
                d.Add(std::move(c));
              }
            }
            RETURN_IF_ERROR(ward.Add(expired));
            std::vector<WardStream> wards;
            wards.push_back(std::move(ward));
            board_->Queue(d, std::move(wards), std::move(locks));
            return d;
          },
          nullptr, board_->options().max_attempts)
      .status();
}

}  // namespace yilian::greenchannel
