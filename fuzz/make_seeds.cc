// yilian-fuzz-seeds <dir>: writes the seed corpora, <dir>/<target>/<name>, valid inputs in each
// target's layout (a small consortium: a tertiary hospital, a county hospital, a township
// centre; a ward, an expert session, a signed resident, a referral and an emergency case), so
// libFuzzer starts from messages that reach deep into the code. fuzz/corpus/ is its output;
// run it again after a change of an input layout (see fuzz/README.md).
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "fuzz_input.h"
#include "google/protobuf/util/time_util.h"
#include "support.h"
#include "yilian/audit/v1/audit.pb.h"
#include "yilian/bus/wire.h"
#include "yilian/common/oneof_event.h"
#include "yilian/common/sha256.h"
#include "yilian/common/timestamp.h"
#include "yilian/domain/referral/referral.h"
#include "yilian/domain/registry/registry.h"
#include "yilian/greenchannel/v1/greenchannel.pb.h"
#include "yilian/referral/v1/referral_service.pb.h"

namespace yilian::fuzz {
namespace {

namespace av1 = ::yilian::audit::v1;
namespace fv1 = ::yilian::referral::v1;
namespace gv1 = ::yilian::greenchannel::v1;
namespace rv1 = ::yilian::registry::v1;
using W = FuzzInputWriter;
using google::protobuf::util::TimeUtil;

constexpr uint32_t kNow = 272'323'200;  // 2026-03-01T00:00Z as ReadNow's offset from 1.5e9 s
constexpr int64_t kNowMs = (1'500'000'000LL + kNow) * 1000;
constexpr char kPatient[] = "pt-7f3a9c2e";

std::filesystem::path out_dir;

void Write(const std::string& target, const std::string& name, const std::string& bytes) {
  std::filesystem::create_directories(out_dir / target);
  std::ofstream(out_dir / target / name, std::ios::binary) << bytes;
}

rv1::Institution Institution(const std::string& id, int tier, rv1::InstitutionType type, double lat, double lon,
                             std::initializer_list<rv1::Capability> caps) {
  rv1::Institution i;
  i.set_institution_id(id);
  i.set_name(id + " hospital");
  i.set_tier(tier);
  i.set_type(type);
  i.mutable_location()->set_latitude(lat);
  i.mutable_location()->set_longitude(lon);
  for (auto c : caps) i.add_capabilities(c);
  return i;
}

struct World {
  rv1::ListInstitutionsResponse institutions;
  rv1::ListConsortiaResponse consortia;
  rv1::Ward ward;
  rv1::ExpertSession session;
  rv1::Resident resident;
  fv1::Referral referral;  // as submitted (no status)
  gv1::EmergencyCase emergency;
  gv1::WardBoard board;
};

World MakeWorld() {
  World w;
  *w.institutions.add_institutions()->mutable_institution() =
      Institution("loudi-1st", 3, rv1::TERTIARY_HOSPITAL, 27.73, 111.99,
                  {rv1::STROKE_CENTRE, rv1::CHEST_PAIN_CENTRE, rv1::TRAUMA_CENTRE, rv1::IMAGING, rv1::EMERGENCY});
  *w.institutions.add_institutions()->mutable_institution() = Institution(
      "lianyuan-county", 2, rv1::COUNTY_HOSPITAL, 27.69, 111.66, {rv1::STROKE_CENTRE, rv1::IMAGING, rv1::EMERGENCY});
  *w.institutions.add_institutions()->mutable_institution() = Institution(
      "qiaotouhe", 1, rv1::TOWNSHIP_HEALTH_CENTRE, 27.60, 111.80, {rv1::GENERAL_MEDICINE, rv1::FAMILY_DOCTOR});
  auto* c = w.consortia.add_consortia()->mutable_consortium();
  c->set_consortium_id("loudi");
  c->set_name("Loudi medical consortium");
  c->set_lead_institution_id("loudi-1st");
  for (const char* m : {"loudi-1st", "lianyuan-county", "qiaotouhe"}) c->add_member_ids(m);
  w.ward.set_institution_id("loudi-1st");
  w.ward.set_ward_id("stroke");
  w.ward.set_name("Stroke unit");
  w.ward.set_kind(rv1::WARD_STROKE_UNIT);
  w.ward.set_capacity(10);
  w.ward.set_emergency_reserved(2);
  auto& s = w.session;
  s.set_session_id("sess-1");
  s.set_institution_id("loudi-1st");
  s.set_expert_id("dr-li");
  s.set_expert_name("Dr Li");
  s.set_department("neurology");
  *s.mutable_starts_at() = TimeUtil::MillisecondsToTimestamp(kNowMs + 3 * 86'400'000);
  *s.mutable_ends_at() = TimeUtil::MillisecondsToTimestamp(kNowMs + 3 * 86'400'000 + 4 * 3'600'000);
  s.set_slot_count(10);
  auto* q = s.add_reserved();
  q->set_institution_id("qiaotouhe");
  q->set_slots(3);
  *s.mutable_release_cutoff() = TimeUtil::MillisecondsToTimestamp(kNowMs + 2 * 86'400'000);
  w.resident.mutable_patient()->set_value(kPatient);
  w.resident.set_family_doctor_institution_id("qiaotouhe");
  w.resident.set_team("team-a");
  *w.resident.mutable_signed_at() = TimeUtil::MillisecondsToTimestamp(kNowMs - 86'400'000);
  auto& r = w.referral;
  r.set_referral_id("ref-1");
  r.set_direction(fv1::UPWARD);
  r.set_sender_institution_id("qiaotouhe");
  r.set_sender_clinician("dr-wang");
  r.set_receiver_institution_id("loudi-1st");
  r.mutable_patient()->set_value(kPatient);
  r.set_reason("suspected TIA, needs imaging and a neurology opinion");
  *r.add_diagnoses() = ::yilian::domain::referral::Icd10("G45.9");
  r.set_priority(fv1::URGENT);
  r.set_requested_service(fv1::EXPERT_OUTPATIENT);
  auto* x = r.add_exam_results();
  x->set_kind(fv1::CT);
  x->set_result_id("ct-42");
  x->set_performing_institution_id("lianyuan-county");
  YILIAN_SET_MS(*x, performed_at, kNowMs - 86'400'000);
  auto& e = w.emergency;
  e.set_case_id("case-1");
  e.set_condition(gv1::STROKE);
  e.set_severity(2);
  e.mutable_location()->set_latitude(27.65);
  e.mutable_location()->set_longitude(111.85);
  YILIAN_SET_MS(e, first_medical_contact_at, kNowMs - 600'000);
  e.set_dispatch_centre("loudi-120");
  e.mutable_placement()->set_step(gv1::IN_CIRCLE);
  e.mutable_placement()->set_institution_id("loudi-1st");
  e.mutable_placement()->set_ward_id("stroke");
  w.board.set_institution_id("loudi-1st");
  w.board.set_ward_id("stroke");
  w.board.set_kind(rv1::WARD_STROKE_UNIT);
  w.board.set_capacity(10);
  w.board.set_emergency_reserved(2);
  auto* h = w.board.add_holds();
  h->set_hold_id("bed:ref-1/bed@1");
  h->set_purpose(gv1::REFERRAL);
  h->set_subject_id("ref-1");
  YILIAN_SET_MS(*h, placed_at, kNowMs - 3'600'000);
  YILIAN_SET_MS(*h, expires_at, kNowMs + 3'600'000);
  w.board.add_admissions("adm-7");
  return w;
}

template <typename M>
std::string Bytes(const M& m) {
  return m.SerializeAsString();
}

void Envelopes(const World& w) {
  auto message = [](uint8_t flags, const events::v1::Envelope& env, int64_t previous) {
    const std::string value = env.SerializeAsString();
    W in;
    in.Byte(flags).Byte(4);
    in.Byte(0).Chunk(env.event_type());
    in.Byte(1).Chunk(env.source_service());
    in.Byte(2).Chunk(std::to_string(env.source_sequence()));
    in.Byte(3).Chunk(std::to_string(previous));
    return in.Rest(value).bytes();
  };
  rv1::InstitutionRegistered registered;
  *registered.mutable_institution() = w.institutions.institutions(0).institution();
  Write("envelope", "registry-institution",
        message(1, EnvelopeFor(registered, "registry", "institution", "loudi-1st", 1, 7, {}), 6));
  rv1::WardDefined ward;
  *ward.mutable_ward() = w.ward;
  Write("envelope", "registry-ward",
        message(1, EnvelopeFor(ward, "registry", "ward", "loudi-1st/stroke", 1, 9, {}), 0));
  fv1::BedRequested bed;
  bed.set_request_id("ref-1/bed@1");
  bed.set_referral_id("ref-1");
  bed.set_institution_id("loudi-1st");
  bed.set_ward_kind(rv1::WARD_STROKE_UNIT);
  Write("envelope", "referral-bed-requested",
        message(1 | 1 << 2 | 3 << 6, EnvelopeFor(bed, "referral", "referral", "ref-1", 4, 12, {}), 11));
  gv1::BedReserved reserved;
  reserved.mutable_request()->set_request_id("ref-1/bed@1");
  reserved.mutable_request()->set_status(gv1::RESERVED);
  Write("envelope", "greenchannel-bed-reserved",
        message(1 | 2 << 2, EnvelopeFor(reserved, "greenchannel", "bed_request", "ref-1/bed@1", 1, 30, {}), 29));
  Write("envelope", "feed-no-headers",
        W().Byte(2).Byte(0).Rest(Bytes(EnvelopeFor(ward, "registry", "ward", "a/b", 1, 1, {}))).bytes());
  Write("envelope", "bad-hash", W().Byte(0).Byte(1).Byte(4).Chunk("short").Rest("x").bytes());
}

// fuzz/bus_verify.cc's layout: watermark, then messages (flags, sequence, previous, type,
// [key id, MAC], value; flags bit 3 set: the hash is computed).
void BusMessages(const World& w) {
  rv1::InstitutionRegistered registered;
  *registered.mutable_institution() = w.institutions.institutions(0).institution();
  const std::string next = Bytes(EnvelopeFor(registered, "registry", "institution", "loudi-1st", 1, 7, {}));
  const std::string type = "yilian.registry.v1.InstitutionRegistered";
  auto one = [&](W& in, uint8_t flags, int64_t seq, int64_t prev, const std::string& value) -> W& {
    in.Byte(flags | 8).I64(seq).I64(prev).Chunk(type);
    if ((flags & 3) == 3) in.Chunk("evil").Chunk(std::string(32, 'x'));
    return in.Chunk(value);
  };
  W signed_next, unsigned_next, stranger, huge, stand_in, mixed;
  Write("bus_verify", "signed-next", one(signed_next.U32(6), 1, 7, 6, next).bytes());
  Write("bus_verify", "unsigned-next", one(unsigned_next.U32(6), 0, 7, 6, next).bytes());
  Write("bus_verify", "stranger-next", one(stranger.U32(6), 2, 7, 6, next).bytes());
  Write("bus_verify", "huge-sequence", one(huge.U32(6), 3, int64_t{1} << 62, 6, next).bytes());
  Write("bus_verify", "stand-in", one(stand_in.U32(6), 2 | 4, int64_t{1} << 61, 6, "").bytes());
  one(one(mixed.U32(6), 0, 7, 6, next), 1, 7, 6, next);
  Write("bus_verify", "forged-genuine-duplicate", one(mixed, 1, 7, 6, next).bytes());
}

void ArchiveEntries(const World& w) {
  fv1::ReferralSubmitted submitted;
  *submitted.mutable_referral() = w.referral;
  const auto source = EnvelopeFor(submitted, "referral", "referral", "ref-1", 1, 3, absl::FromUnixMillis(kNowMs));
  Write("archive_entry", "wrap-referral", W().Byte(1).U32(5).Rest(Bytes(source)).bytes());
  Write("archive_entry", "wrap-correction", W().Byte(3).U32(6).Rest(Bytes(source)).bytes());
  av1::ArchivedEvent archived;
  archived.set_envelope(Bytes(source));
  archived.set_source_service("referral");
  archived.set_source_sequence(3);
  Write("archive_entry", "archived",
        W().Byte(0).U32(7).Rest(Bytes(EnvelopeFor(archived, "audit", "archive", "referral", 1, 7, {}))).bytes());
  av1::AuditCallRecorded call;
  call.set_call("Replay");
  call.set_parameters("{\"patient\":{\"value\":\"pt-7f3a9c2e\"}}");
  Write("archive_entry", "audit-call",
        W().Byte(0).U32(8).Rest(Bytes(EnvelopeFor(call, "audit", "audit_call", "auditor", 1, 8, {}))).bytes());
}

W Dir(const World& w, uint8_t op) {
  W in;
  in.Byte(op).Message(w.institutions).Message(w.consortia);
  return in;
}

void RegistryCommands(const World& w) {
  const std::string t = "registry_commands";
  rv1::InstitutionReply inst;
  *inst.mutable_institution() = w.institutions.institutions(2).institution();
  rv1::RegisterInstitutionRequest reg;
  *reg.mutable_institution() = inst.institution();
  reg.mutable_institution()->set_institution_id("new-clinic");
  Write(t, "register", Dir(w, 0).Byte(0).Message(rv1::InstitutionReply()).Message(reg).bytes());
  rv1::UpdateInstitutionRequest upd;
  *upd.mutable_institution() = inst.institution();
  upd.mutable_institution()->set_name("renamed");
  Write(t, "update", Dir(w, 1).Byte(1).Message(inst).Message(upd).bytes());
  rv1::SuspendInstitutionRequest sus;
  sus.set_institution_id("qiaotouhe");
  sus.set_reason("licence review");
  Write(t, "suspend", Dir(w, 2).Byte(1).Message(inst).Message(sus).bytes());
  inst.mutable_institution()->set_suspended(true);
  rv1::ReactivateInstitutionRequest react;
  react.set_institution_id("qiaotouhe");
  Write(t, "reactivate", Dir(w, 3).Byte(1).Message(inst).Message(react).bytes());
  rv1::FormConsortiumRequest form;
  *form.mutable_consortium() = w.consortia.consortia(0).consortium();
  form.mutable_consortium()->set_consortium_id("loudi-2");
  Write(t, "form", Dir(w, 4).Byte(0).Message(rv1::ConsortiumReply()).Message(form).bytes());
  rv1::ConsortiumReply cons = w.consortia.consortia(0);
  cons.mutable_consortium()->mutable_member_ids()->RemoveLast();
  rv1::ConsortiumMemberRequest member;
  member.set_consortium_id("loudi");
  member.set_institution_id("qiaotouhe");
  Write(t, "add-member", Dir(w, 5).Byte(1).Message(cons).Message(member).bytes());
  member.set_institution_id("lianyuan-county");
  Write(t, "remove-member", Dir(w, 6).Byte(1).Message(w.consortia.consortia(0)).Message(member).bytes());
  rv1::DefineWardRequest define;
  *define.mutable_ward() = w.ward;
  Write(t, "define-ward", Dir(w, 7).Byte(0).Message(rv1::WardReply()).Message(define).bytes());
  rv1::WardReply ward;
  *ward.mutable_ward() = w.ward;
  rv1::ChangeWardCapacityRequest cap;
  cap.set_capacity(12);
  cap.set_emergency_reserved(3);
  Write(t, "ward-capacity", Dir(w, 8).Byte(1).Message(ward).Message(cap).bytes());
  rv1::PublishExpertSessionRequest publish;
  *publish.mutable_session() = w.session;
  Write(t, "publish-session", Dir(w, 9).Byte(0).Message(rv1::ExpertSessionReply()).Message(publish).bytes());
  rv1::ExpertSessionReply session;
  *session.mutable_session() = w.session;
  rv1::CancelExpertSessionRequest cancel;
  cancel.set_reason("expert unwell");
  Write(t, "cancel-session", Dir(w, 10).Byte(1).Message(session).Message(cancel).bytes());
  rv1::EnrolResidentRequest enrol;
  *enrol.mutable_resident() = w.resident;
  Write(t, "enrol", Dir(w, 11).Byte(0).Message(rv1::ResidentReply()).Message(enrol).bytes());
  rv1::ResidentReply resident;
  *resident.mutable_resident() = w.resident;
  rv1::MoveResidentRequest move;
  *move.mutable_patient() = w.resident.patient();
  move.set_to_institution_id("qiaotouhe");
  move.set_team("team-b");
  Write(t, "move-resident", Dir(w, 12).Byte(1).Message(resident).Message(move).bytes());
  rv1::EndResidentRequest end;
  end.set_reason("moved away");
  Write(t, "end-resident", Dir(w, 13).Byte(1).Message(resident).Message(end).bytes());
  Write(t, "checks", Dir(w, 14).Byte(1).Byte(16).Rest(kPatient).bytes());
}

fv1::ReferralReply ReferralAt(const World& w, fv1::Status status) {
  fv1::ReferralReply r;
  *r.mutable_referral() = w.referral;
  r.mutable_referral()->set_status(status);
  YILIAN_SET_MS(*r.mutable_referral(), submitted_at, kNowMs - 3'600'000);
  YILIAN_SET_MS(*r.mutable_referral(), respond_by, kNowMs + 20 * 3'600'000);
  YILIAN_SET_MS(*r.mutable_referral(), schedule_by, kNowMs + 68 * 3'600'000);
  return r;
}

void ReferralCommands(const World& w) {
  const std::string t = "referral_commands";
  // op, side (0 sender, 1 receiver, 2 lead, 3 system), now, directory, state, request.
  auto in = [&](uint8_t op, uint8_t side, bool exists, fv1::Status status) {
    W in;
    in.Byte(op).Byte(side).U32(kNow).Message(w.institutions).Message(w.consortia).Byte(exists);
    in.Message(ReferralAt(w, status));
    return in;
  };
  fv1::SubmitReferralRequest submit;
  *submit.mutable_referral() = w.referral;
  Write(t, "submit", in(0, 0, false, fv1::STATUS_UNSPECIFIED).Message(submit).bytes());
  submit.mutable_referral()->clear_receiver_institution_id();
  submit.mutable_referral()->mutable_routing()->set_capability(rv1::STROKE_CENTRE);
  Write(t, "submit-routed", in(0, 0, false, fv1::STATUS_UNSPECIFIED).Message(submit).bytes());
  fv1::RecordArrivalRequest action;
  action.set_referral_id("ref-1");
  Write(t, "acknowledge", in(1, 1, true, fv1::REQUESTED).Message(action).bytes());
  Write(t, "accept", in(2, 1, true, fv1::RECEIVED).Message(action).bytes());
  Write(t, "arrival", in(3, 1, true, fv1::READY).Message(action).bytes());
  fv1::RejectReferralRequest reject;
  reject.set_reason_code("no-capacity");
  reject.set_advice("try the county hospital");
  Write(t, "reject", in(4, 1, true, fv1::RECEIVED).Message(reject).bytes());
  fv1::RequestInformationRequest ask;
  ask.set_question("latest blood pressure?");
  Write(t, "ask", in(5, 1, true, fv1::REQUESTED).Message(ask).bytes());
  fv1::SupplyInformationRequest supply;
  supply.set_answer("150/95");
  *supply.add_exam_results() = w.referral.exam_results(0);
  Write(t, "supply", in(6, 0, true, fv1::RECEIVED).Message(supply).bytes());
  fv1::ScheduleReferralRequest schedule;
  schedule.mutable_bed()->set_ward_kind(rv1::WARD_STROKE_UNIT);
  YILIAN_SET_MS(*schedule.mutable_bed(), planned_admission_at, kNowMs + 86'400'000);
  Write(t, "schedule-bed", in(7, 1, true, fv1::ACCEPTED).Message(schedule).bytes());
  schedule.set_session_id("sess-1");
  rv1::ExpertSessionReply session;
  *session.mutable_session() = w.session;
  Write(
      t, "schedule-session",
      in(7, 1, true, fv1::ACCEPTED).Message(schedule).Message(session).Message(fv1::SessionBookings()).Byte(1).bytes());
  gv1::BedRequest answer;
  answer.set_request_id("ref-1/bed@1");
  answer.set_reason("reserved");
  auto accepted = ReferralAt(w, fv1::ACCEPTED);
  accepted.mutable_referral()->mutable_schedule()->set_bed_request_id("ref-1/bed@1");
  Write(t, "answer-bed",
        W().Byte(8)
            .Byte(3)
            .U32(kNow)
            .Message(w.institutions)
            .Message(w.consortia)
            .Byte(1)
            .Message(accepted)
            .Message(answer)
            .Byte(1)
            .bytes());
  fv1::CompleteReferralRequest complete;
  complete.set_outcome_summary("treated; follow up in the township centre");
  complete.mutable_downward()->set_receiver_institution_id("qiaotouhe");
  complete.mutable_downward()->set_requested_service(fv1::TELE_CONSULTATION);
  Write(t, "complete", in(9, 1, true, fv1::IN_PROGRESS).Message(complete).bytes());
  fv1::CancelReferralRequest cancel;
  cancel.set_reason("patient recovered");
  Write(t, "cancel", in(10, 0, true, fv1::ACCEPTED).Message(cancel).bytes());
  fv1::FailReferralRequest fail;
  fail.set_reason(fv1::NO_SHOW);
  fail.set_note("did not come");
  Write(t, "fail", in(11, 3, true, fv1::READY).Message(fail).bytes());
  submit.set_draft(true);
  Write(t, "submit-draft", in(0, 0, false, fv1::STATUS_UNSPECIFIED).Message(submit).bytes());
  Write(t, "send", in(16, 0, true, fv1::DRAFT).bytes());
  fv1::AmendReferralRequest amend;
  amend.mutable_changes()->set_priority(fv1::URGENT);
  amend.mutable_update_mask()->add_paths("priority");
  Write(t, "amend", in(17, 0, true, fv1::REQUESTED).Message(amend).bytes());
  fv1::AssignOwnerRequest owner;
  owner.mutable_owner()->set_department("neurology");
  Write(t, "assign-owner", in(18, 1, true, fv1::RECEIVED).Message(owner).bytes());
  fv1::Schedule moved;
  moved.set_kind(fv1::EXAMINATION);
  YILIAN_SET_MS(moved, at, kNowMs + 2 * 86'400'000);
  Write(t, "reschedule", in(19, 1, true, fv1::READY).Message(moved).bytes());
  Write(t, "hold", in(20, 1, true, fv1::IN_PROGRESS).bytes());
  Write(t, "resume", in(21, 1, true, fv1::ON_HOLD).bytes());
  fv1::MarkEnteredInErrorRequest wrong;
  wrong.set_reason("wrong patient");
  Write(t, "entered-in-error", in(22, 0, true, fv1::READY).Message(wrong).bytes());
  fv1::RedirectReferralRequest redirect;
  redirect.set_to_institution_id("lianyuan-county");
  redirect.set_reason("closer to home");
  Write(t, "redirect", in(12, 2, true, fv1::RECEIVED).Message(redirect).bytes());
  Write(t, "timers",
        W().Byte(13)
            .Byte(3)
            .U32(kNow + 40 * 3600)
            .Message(w.institutions)
            .Message(w.consortia)
            .Byte(1)
            .Message(ReferralAt(w, fv1::REQUESTED))
            .bytes());
  Write(t, "recognise", in(14, 1, true, fv1::RECEIVED).bytes());
  fv1::SessionBookings bookings;
  bookings.set_session_id("sess-1");
  auto* b = bookings.add_bookings();
  b->set_referral_id("ref-1");
  b->set_institution_id("qiaotouhe");
  b->set_reserved(true);
  Write(t, "slots", in(15, 1, true, fv1::ACCEPTED).Message(session).Message(bookings).Byte(1).bytes());
}

void GreenchannelCommands(const World& w) {
  const std::string t = "greenchannel_commands";
  auto in = [&](uint8_t op) {
    W in;
    in.Byte(op).U32(kNow).Message(w.institutions).Message(w.consortia);
    return in;
  };
  gv1::BedBoard board;
  *board.add_wards()->mutable_board() = w.board;
  gv1::OpenCaseRequest open;
  open.set_condition(gv1::STROKE);
  open.set_severity(2);
  *open.mutable_location() = w.emergency.location();
  YILIAN_SET_MS(open, first_medical_contact_at, kNowMs - 600'000);
  open.set_dispatch_centre("loudi-120");
  open.set_request_id("call-0001");
  Write(t, "open-case", in(0).Message(open).Message(board).Byte(10).bytes());
  open.set_consortium_id("loudi");
  open.set_condition(gv1::STEMI);
  Write(t, "open-case-overflow", in(0).Message(open).Message(gv1::BedBoard()).Byte(0).bytes());
  gv1::CaseReply c;
  *c.mutable_emergency_case() = w.emergency;
  c.mutable_emergency_case()->set_status(gv1::EN_ROUTE);
  c.mutable_emergency_case()->set_hold_id("case-1#1");
  gv1::RedirectCaseRequest redirect;
  redirect.set_reason("CT scanner down");
  Write(t, "redirect-case", in(1).Byte(1).Message(c).Message(redirect).Message(board).bytes());
  gv1::RecordMilestoneRequest milestone;
  milestone.set_milestone(gv1::ARRIVAL);
  YILIAN_SET_MS(milestone, at, kNowMs);
  Write(t, "arrival", in(2).Byte(1).Message(c).Message(milestone).bytes());
  auto* m = c.mutable_emergency_case()->add_milestones();
  m->set_milestone(gv1::ARRIVAL);
  YILIAN_SET_MS(*m, at, kNowMs);
  c.mutable_emergency_case()->set_status(gv1::ARRIVED);
  milestone.set_milestone(gv1::NEEDLE);
  YILIAN_SET_MS(milestone, at, kNowMs + 45 * 60'000);
  Write(t, "needle", in(2).Byte(1).Message(c).Message(milestone).bytes());
  gv1::CloseCaseRequest close;
  close.set_outcome("thrombolysed, admitted");
  Write(t, "close", in(3).Byte(1).Message(c).Message(close).bytes());
  gv1::WardStatus status;
  *status.mutable_board() = w.board;
  Write(t, "set-capacity", in(4).Byte(1).Message(status).Message(w.ward).bytes());
  fv1::BedRequested bed;
  bed.set_request_id("ref-2/bed@5");
  bed.set_referral_id("ref-2");
  bed.set_institution_id("loudi-1st");
  bed.set_ward_kind(rv1::WARD_STROKE_UNIT);
  YILIAN_SET_MS(bed, hold_until, kNowMs + 86'400'000);
  Write(t, "bed-request", in(5).Message(bed).Byte(1).Message(status).bytes());
  fv1::BedRequestCancelled cancelled;
  cancelled.set_request_id("ref-1/bed@1");
  cancelled.set_reason("referral cancelled");
  Write(t, "release-hold", in(6).Byte(1).Message(status).Message(cancelled).Byte(2).bytes());
  fv1::ReferredPatientAdmitted admitted;
  admitted.set_request_id("ref-1/bed@1");
  Write(t, "admit", in(7).Byte(1).Message(status).Message(admitted).Byte(1).bytes());
  gv1::DischargeRequest discharge;
  discharge.set_admission_id("adm-7");
  discharge.set_reason("discharged");
  Write(t, "vacate", in(8).Byte(1).Message(status).Message(discharge).Byte(1).bytes());
  Write(t, "expire",
        W().Byte(9)
            .U32(kNow + 7200)
            .Message(w.institutions)
            .Message(w.consortia)
            .Byte(1)
            .Message(status)
            .Byte(0)
            .bytes());
  gv1::BedRequestReply request;
  request.mutable_request()->set_request_id("ref-1/bed@1");
  request.mutable_request()->set_status(gv1::RESERVED);
  request.mutable_request()->set_hold_id("bed:ref-1/bed@1");
  Write(t, "release-request", in(10).Byte(1).Message(request).Chunk("cancelled: referral cancelled").Byte(1).bytes());
  Write(t, "take-up", in(10).Byte(1).Message(request).Chunk("adm-9").Byte(0).bytes());
  Write(t, "needs", in(11).U32(3).bytes());
}

void AuditRequests() {
  const std::string t = "audit_requests";
  auto in = [](uint8_t op, uint8_t caller) {
    W in;
    in.Byte(op).Byte(caller).Chunk("flow-0001");
    return in;
  };
  av1::StateAsOfRequest as_of;
  as_of.set_referral_id("ref-1");
  YILIAN_SET_MS(as_of, at, 1'700'000'000'000 + 3 * 60'000);
  Write(t, "state-as-of-referral", in(0, 4).Message(as_of).bytes());
  as_of.set_case_id("case-1");
  YILIAN_SET_MS(as_of, at, 1'800'000'000'000);
  Write(t, "state-as-of-case", in(0, 0).Message(as_of).bytes());
  as_of.mutable_ward()->set_institution_id("loudi-1st");
  as_of.mutable_ward()->set_ward_id("icu");
  Write(t, "state-as-of-ward", in(0, 0).Message(as_of).bytes());
  av1::VerifyRequest verify;
  verify.set_check_sources(true);
  Write(t, "verify", in(1, 0).Message(verify).bytes());
  verify.set_from_position(2);
  verify.set_to_position(5);
  Write(t, "verify-range-clinician", in(1, 1).Message(verify).bytes());
  av1::ComplianceRequest compliance;
  YILIAN_SET_MS(*compliance.mutable_time(), from, 1'600'000'000'000);
  Write(t, "compliance", in(2, 0).Message(compliance).bytes());
  av1::ReplayRequest replay;
  replay.mutable_patient()->set_value(kPatient);
  Write(t, "replay-patient", in(3, 0).Message(replay).bytes());
  replay.mutable_aggregate()->set_source_service("referral");
  replay.mutable_aggregate()->set_aggregate_type("referral");
  replay.mutable_aggregate()->set_aggregate_id("ref-1");
  replay.set_after_position(1);
  Write(t, "replay-aggregate", in(3, 0).Message(replay).bytes());
  YILIAN_SET_MS(*replay.mutable_time(), from, 1'700'000'000'000);
  YILIAN_SET_MS(*replay.mutable_time(), to, 1'700'000'600'000);
  Write(t, "replay-time", in(3, 4).Message(replay).bytes());
  replay.set_institution_id("loudi-1st");
  Write(t, "replay-institution-no-token", in(3, 2).Message(replay).bytes());
  av1::ExportRequest exp;
  Write(t, "export-json", in(4, 0).Message(exp).bytes());
  exp.set_format(av1::ExportRequest::RAW);
  exp.set_from_position(3);
  Write(t, "export-raw", in(4, 0).Message(exp).bytes());
}

void RegistryEvents(const World& w) {
  W in;
  in.Byte(1).Byte(1).Byte(4).Byte(166).Byte(208).Byte(0);  // page size, tier, capability, location, condition
  auto add = [&](uint8_t type, const std::string& id, uint8_t version, const rv1::RegistryEvent& e) {
    in.Byte(type).Chunk(id).Byte(version).Message(e);
  };
  for (const auto& i : w.institutions.institutions()) {
    rv1::RegistryEvent e;
    *e.mutable_institution_registered()->mutable_institution() = i.institution();
    add(0, i.institution().institution_id(), 1, e);
  }
  rv1::RegistryEvent e;
  *e.mutable_consortium_formed()->mutable_consortium() = w.consortia.consortia(0).consortium();
  add(1, "loudi", 1, e);
  *e.mutable_ward_defined()->mutable_ward() = w.ward;
  add(2, "loudi-1st/stroke", 1, e);
  e.mutable_ward_capacity_changed()->set_capacity(12);
  e.mutable_ward_capacity_changed()->set_emergency_reserved(2);
  add(2, "loudi-1st/stroke", 2, e);
  *e.mutable_expert_session_published()->mutable_session() = w.session;
  add(3, "sess-1", 1, e);
  *e.mutable_resident_enrolled()->mutable_resident() = w.resident;
  add(4, kPatient, 1, e);
  e.mutable_consortium_member_removed()->set_institution_id("lianyuan-county");
  add(1, "loudi", 2, e);
  Write("registry_events", "consortium", in.bytes());
  W bad;
  bad.Byte(0).Byte(0).Byte(0).Byte(128).Byte(128).Byte(1);
  *e.mutable_expert_session_published()->mutable_session() = w.session;
  e.mutable_expert_session_published()->mutable_session()->clear_starts_at();
  bad.Byte(3).Chunk("sess-2").Byte(1).Message(e);
  Write("registry_events", "session-without-start", bad.bytes());
}

void ReferralEvents(const World& w) {
  fv1::ReferralReply accepted = ReferralAt(w, fv1::ACCEPTED);
  accepted.mutable_referral()->mutable_schedule()->set_bed_request_id("ref-1/bed@1");
  W in;
  in.U32(kNow).Byte(1).Message(accepted).Message(fv1::SessionBookings()).Message(w.session).Byte(1);
  gv1::BedRequestEvent bed;
  bed.mutable_reserved()->mutable_request()->set_request_id("ref-1/bed@1");
  bed.mutable_reserved()->mutable_request()->set_status(gv1::RESERVED);
  in.Byte(1).Chunk("ref-1/bed@1").Message(bed);
  bed.mutable_released()->set_reason("expired");
  in.Byte(1).Chunk("ref-1/bed@1").Message(bed);
  fv1::ReferralEvent e;
  YILIAN_SET_MS(*e.mutable_arrived(), at, kNowMs);
  in.Byte(0).Message(e);
  fv1::SessionEvent s;
  s.mutable_booked()->set_session_id("sess-1");
  s.mutable_booked()->mutable_booking()->set_referral_id("ref-1");
  in.Byte(2).Message(s);
  s.mutable_released()->set_referral_id("ref-1");
  in.Byte(2).Message(s);
  Write("referral_events", "bed-saga", in.bytes());
  W fresh;
  fresh.U32(kNow).Byte(0).Message(fv1::ReferralReply()).Message(fv1::SessionBookings()).Message(w.session).Byte(0);
  *e.mutable_submitted()->mutable_referral() = ReferralAt(w, fv1::REQUESTED).referral();
  fresh.Byte(0).Message(e);
  e.mutable_escalated()->set_level(1);
  fresh.Byte(0).Message(e);
  e.mutable_bed_requested()->set_request_id("ref-1/bed@2");
  fresh.Byte(0).Message(e);
  Write("referral_events", "submitted-escalated", fresh.bytes());
}

void GreenchannelEvents(const World& w) {
  gv1::WardStatus ward;
  *ward.mutable_board() = w.board;
  gv1::CaseReply c;
  *c.mutable_emergency_case() = w.emergency;
  gv1::BedRequestReply request;
  request.mutable_request()->set_request_id("ref-1/bed@1");
  request.mutable_request()->set_status(gv1::RESERVED);
  request.mutable_request()->set_hold_id("bed:ref-1/bed@1");
  W in;
  in.U32(kNow).Byte(1).Message(ward).Byte(0).Message(c).Byte(1).Message(request);
  gv1::CaseEvent ce;
  *ce.mutable_opened()->mutable_emergency_case() = w.emergency;
  in.Byte(1).Message(ce);
  ce.mutable_milestone()->mutable_milestone()->set_milestone(gv1::ARRIVAL);
  YILIAN_SET_MS(*ce.mutable_milestone()->mutable_milestone(), at, kNowMs);
  in.Byte(1).Message(ce);
  ce.mutable_milestone()->mutable_milestone()->set_milestone(gv1::NEEDLE);
  YILIAN_SET_MS(*ce.mutable_milestone()->mutable_milestone(), at, kNowMs + 50 * 60'000);
  in.Byte(1).Message(ce);
  gv1::BoardEvent be;
  be.mutable_held()->mutable_hold()->set_hold_id("case-1#1");
  YILIAN_SET_MS(*be.mutable_held()->mutable_hold(), expires_at, kNowMs - 1);
  in.Byte(0).Message(be);
  be.mutable_occupied()->set_hold_id("bed:ref-1/bed@1");
  be.mutable_occupied()->set_admission_id("adm-8");
  in.Byte(0).Message(be);
  gv1::BedRequestEvent re;
  re.mutable_taken_up()->set_admission_id("adm-8");
  in.Byte(2).Message(re);
  fv1::ReferralEvent bed;
  bed.mutable_bed_requested()->set_request_id("ref-3/bed@9");
  bed.mutable_bed_requested()->set_referral_id("ref-3");
  bed.mutable_bed_requested()->set_institution_id("loudi-1st");
  bed.mutable_bed_requested()->set_ward_kind(rv1::WARD_STROKE_UNIT);
  in.Byte(3).Chunk("ref-3").Message(bed);
  bed.mutable_bed_request_cancelled()->set_request_id("ref-1/bed@1");
  in.Byte(3).Chunk("ref-1").Message(bed);
  rv1::RegistryEvent re2;
  *re2.mutable_ward_defined()->mutable_ward() = w.ward;
  in.Byte(4).Chunk("loudi-1st/stroke").Message(re2);
  Write("greenchannel_events", "day-on-the-board", in.bytes());
  W admit;
  admit.U32(kNow).Byte(1).Message(ward).Byte(1).Message(c).Byte(1).Message(request);
  bed.mutable_patient_admitted()->set_request_id("ref-1/bed@1");
  admit.Byte(3).Chunk("ref-1").Message(bed);
  Write("greenchannel_events", "referral-admitted", admit.bytes());
}

}  // namespace
}  // namespace yilian::fuzz

int main(int argc, char** argv) {
  using namespace yilian::fuzz;
  if (argc != 2) {
    fprintf(stderr, "usage: yilian-fuzz-seeds <corpus dir>\n");
    return 2;
  }
  out_dir = argv[1];
  const World w = MakeWorld();
  Envelopes(w);
  BusMessages(w);
  ArchiveEntries(w);
  RegistryCommands(w);
  ReferralCommands(w);
  GreenchannelCommands(w);
  AuditRequests();
  RegistryEvents(w);
  ReferralEvents(w);
  GreenchannelEvents(w);
  return 0;
}
