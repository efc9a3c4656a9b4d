// (b) The green channel's command validation: libs/domain/greenchannel's placement, emergency
// case, bed board and bed request decisions, called as case_commands.cc and bed_commands.cc call
// them (sites from the registry, wards from the live board), then command::Stream's fold and the reply.
#include <set>

#include "support.h"
#include "targets.h"
#include "yilian/common/timestamp.h"
#include "yilian/domain/greenchannel/bed_board.h"
#include "yilian/domain/greenchannel/bed_request.h"
#include "yilian/domain/greenchannel/emergency_case.h"
#include "yilian/domain/greenchannel/placement.h"
#include "yilian/referral/v1/beds.pb.h"

namespace yilian::fuzz {

namespace {

namespace dgc = ::yilian::domain::greenchannel;
namespace gv1 = ::yilian::greenchannel::v1;
namespace rv1 = ::yilian::registry::v1;

// command::Stream::Add's fold of a decision (the runner answers INTERNAL when an event does not fold).
template <typename State, typename Event>
std::optional<State> FoldDecision(std::optional<State> state, const absl::StatusOr<std::vector<Event>>& events) {
  if (!events.ok()) return std::nullopt;
  for (const auto& e : *events) {
    Require(dgc::Evolve(state, e).ok(), "a green channel command's events fold into the state it was decided on");
    Require(state.has_value(), "a folded green channel event leaves a state");
  }
  return state;
}

template <typename Row, typename State>
bool ReadState(FuzzInput& in, const State& (Row::*field)() const, std::optional<State>& out) {
  const bool exists = in.Bool();
  Row row;
  if (!in.Parse(row)) return false;
  if (exists) out = (row.*field)();
  return true;
}

// SiteDirectory + Board::SitesFor (LiveBoard::AddWards): the registry's institutions (a consortium's members
// when one is named), the leads, and each ward's free beds from the board.
std::vector<dgc::Site> SitesOf(const FuzzDirectory& dir, const gv1::BedBoard& board, const std::string& consortium) {
  std::set<std::string> leads, members;
  for (const auto& [id, c] : dir.consortia()) leads.insert(c.lead_institution_id());
  if (auto c = dir.FindConsortium(consortium)) members.insert(c->member_ids().begin(), c->member_ids().end());
  std::vector<dgc::Site> sites;
  for (const auto& [id, inst] : dir.institutions()) {
    if (!consortium.empty() && !members.count(id)) continue;
    dgc::Site s;
    s.institution = inst;
    s.leads_a_consortium = leads.count(id) > 0;
    for (const auto& w : board.wards()) {
      if (w.board().institution_id() != id) continue;
      dgc::WardBeds beds;
      beds.ward_id = w.board().ward_id();
      beds.kind = w.board().kind();
      beds.free = dgc::FreeBeds(w.board(), gv1::REFERRAL);  // as board_model.cc counts them
      beds.free_reserve = dgc::FreeBeds(w.board(), gv1::EMERGENCY) - beds.free;
      s.wards.push_back(std::move(beds));
    }
    sites.push_back(std::move(s));
  }
  return sites;
}

std::optional<gv1::WardBoard> WardOf(const gv1::BedBoard& board, const std::string& institution,
                                     const std::string& ward) {
  for (const auto& w : board.wards())
    if (w.board().institution_id() == institution && w.board().ward_id() == ward) return w.board();
  return std::nullopt;
}

// CaseCommands::Open (DecideOpen): place, hold a bed on the chosen ward, open the case.
void OpenCase(FuzzInput& in, const FuzzDirectory& dir, int64_t now) {
  gv1::OpenCaseRequest req;
  gv1::BedBoard board;
  if (!in.Parse(req) || !in.Parse(board)) return;
  dgc::PlacementOptions options;
  options.max_listed = in.Byte() % 16;
  auto placement = dgc::Place(req.condition(), req.location(), SitesOf(dir, board, req.consortium_id()), options);
  if (!placement.ok()) return;
  gv1::EmergencyCase desc;
  desc.set_case_id("case-" + req.request_id().substr(0, 20));
  desc.set_condition(req.condition());
  desc.set_severity(req.severity());
  *desc.mutable_location() = req.location();
  YILIAN_SET_MS(desc, first_medical_contact_at, common::UnixMs(req.first_medical_contact_at()));
  desc.set_dispatch_centre(req.dispatch_centre());
  desc.set_consortium_id(req.consortium_id());
  *desc.mutable_placement() = *placement;
  std::string hold_id;
  if (placement->step() != gv1::LEAD_OVERFLOW) {
    gv1::BedHold hold;
    hold.set_hold_id(desc.case_id() + "#1");
    hold.set_purpose(gv1::EMERGENCY);
    hold.set_subject_id(desc.case_id());
    YILIAN_SET_MS(hold, placed_at, now);
    YILIAN_SET_MS(hold, expires_at, now + 3'600'000);
    auto ward = WardOf(board, placement->institution_id(), placement->ward_id());
    Require(ward.has_value(), "placement chooses a ward on the board");
    FoldDecision(ward, dgc::PlaceHold(ward, hold));
    hold_id = hold.hold_id();
  }
  if (auto c = FoldDecision(std::optional<gv1::EmergencyCase>(), dgc::OpenCase(std::nullopt, desc, hold_id)))
    (void)dgc::ClocksOf(*c);
}

// BedCommands::AnswerBedRequest (DecideAnswer): a referral's bed request from the bus, held on a ward or declined.
void AnswerBedRequest(FuzzInput& in, int64_t now) {
  referral::v1::BedRequested req;
  std::optional<gv1::WardBoard> ward;
  if (!in.Parse(req) || !ReadState(in, &gv1::WardStatus::board, ward)) return;
  gv1::BedRequest answer;
  answer.set_request_id(req.request_id());
  answer.set_referral_id(req.referral_id());
  answer.set_institution_id(req.institution_id());
  answer.set_ward_kind(req.ward_kind());
  const int64_t expires =
      common::UnixMs(req.hold_until()) > 0 ? common::UnixMs(req.hold_until()) : now + 24 * 3'600'000;
  gv1::BedHold hold;
  hold.set_hold_id("bed:" + req.request_id());
  hold.set_purpose(gv1::REFERRAL);
  hold.set_subject_id(req.referral_id());
  YILIAN_SET_MS(hold, placed_at, now);
  YILIAN_SET_MS(hold, expires_at, expires);
  if (FoldDecision(ward, dgc::PlaceHold(ward, hold))) {
    answer.set_ward_id(ward ? ward->ward_id() : "");
    answer.set_hold_id(hold.hold_id());
    YILIAN_SET_MS(answer, expires_at, expires);
  } else {
    answer.set_reason("no bed");
  }
  FoldDecision(std::optional<gv1::BedRequest>(), dgc::AnswerBedRequest(std::nullopt, answer));
}

}  // namespace

// Layout: op, now (u32 s after 2017), directory (2 chunks), then the op's state and request.
int FuzzGreenchannelCommands(const uint8_t* data, size_t size) {
  FuzzInput in(data, size);
  const uint8_t op = in.Byte();
  const int64_t now = absl::ToUnixMillis(ReadNow(in));
  FuzzDirectory dir;
  if (!dir.Read(in)) return 0;
  switch (op % 12) {
    case 0:
      OpenCase(in, dir, now);
      return 0;
    case 1:
    case 2:
    case 3: {
      std::optional<gv1::EmergencyCase> c;
      if (!ReadState(in, &gv1::CaseReply::emergency_case, c)) return 0;
      if (op % 12 == 1) {  // a redirect re-places the case among the other sites
        gv1::RedirectCaseRequest req;
        gv1::BedBoard board;
        if (!in.Parse(req) || !in.Parse(board)) return 0;
        const gv1::EmergencyCase base = c ? *c : gv1::EmergencyCase();
        auto placement = dgc::Place(base.condition(), base.location(), SitesOf(dir, board, base.consortium_id()));
        if (placement.ok()) FoldDecision(c, dgc::RedirectCase(c, *placement, base.case_id() + "#2", req.reason()));
      } else if (op % 12 == 2) {
        gv1::RecordMilestoneRequest req;
        if (!in.Parse(req)) return 0;
        if (auto next = FoldDecision(c, dgc::RecordMilestone(c, req.milestone(), common::UnixMs(req.at()))))
          (void)dgc::ClocksOf(*next);
      } else {
        gv1::CloseCaseRequest req;
        if (!in.Parse(req)) return 0;
        FoldDecision(c,
                     dgc::CloseCase(c, req.outcome(), common::UnixMs(req.at()) != 0 ? common::UnixMs(req.at()) : now));
      }
      if (c) (void)dgc::ClocksOf(*c);
      return 0;
    }
    case 4: {  // BedCommands::SetCapacity, from the registry's ward
      std::optional<gv1::WardBoard> w;
      rv1::Ward ward;
      if (!ReadState(in, &gv1::WardStatus::board, w) || !in.Parse(ward)) return 0;
      gv1::WardCapacitySet cmd;
      cmd.set_institution_id(ward.institution_id());
      cmd.set_ward_id(ward.ward_id());
      cmd.set_kind(ward.kind());
      cmd.set_capacity(ward.capacity());
      cmd.set_emergency_reserved(ward.emergency_reserved());
      FoldDecision(w, dgc::SetCapacity(w, cmd));
      return 0;
    }
    case 5:
      AnswerBedRequest(in, now);
      return 0;
    case 6:
    case 7:
    case 8:
    case 9: {
      std::optional<gv1::WardBoard> w;
      if (!ReadState(in, &gv1::WardStatus::board, w)) return 0;
      if (op % 12 == 6) {  // a bed request cancelled by its referral
        referral::v1::BedRequestCancelled req;
        if (!in.Parse(req)) return 0;
        FoldDecision(w, dgc::ReleaseHold(w, "bed:" + req.request_id(), "cancelled: " + req.reason()));
      } else if (op % 12 == 7) {  // the patient arrived
        referral::v1::ReferredPatientAdmitted req;
        if (!in.Parse(req)) return 0;
        FoldDecision(w, dgc::Admit(w, "bed:" + req.request_id(), req.request_id()));
      } else if (op % 12 == 8) {
        gv1::DischargeRequest req;
        if (!in.Parse(req)) return 0;
        FoldDecision(w, dgc::Vacate(w, req.admission_id(), req.reason()));
      } else {
        const auto events = dgc::Expire(w, now);
        FoldDecision(w, absl::StatusOr<dgc::BoardEvents>(events));
      }
      if (w) (void)dgc::FreeBeds(*w, static_cast<gv1::HoldPurpose>(in.Byte() % 3));
      return 0;
    }
    case 10: {
      std::optional<gv1::BedRequest> r;
      if (!ReadState(in, &gv1::BedRequestReply::request, r)) return 0;
      const std::string text = in.Text();
      FoldDecision(r, in.Bool() ? dgc::ReleaseBedRequest(r, text) : dgc::TakeUpBedRequest(r, text));
      return 0;
    }
    default:
      (void)dgc::NeedsOf(static_cast<gv1::Condition>(in.U32()));
      return 0;
  }
}

}  // namespace yilian::fuzz
