#include "operations.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "yilian/common/timestamp.h"
#include "yilian/domain/referral/referral.h"

namespace yilian::loadgen {

namespace fv1 = ::yilian::referral::v1;
namespace gv1 = ::yilian::greenchannel::v1;
namespace av1 = ::yilian::audit::v1;
namespace hv1 = ::grpc::health::v1;

namespace {

constexpr size_t kRecent = 4096;
constexpr int kPatients = 20000;  // pseudonymous patients "pt-load-0" .. "pt-load-19999"

double MsSince(Clock::time_point from) {
  return std::chrono::duration<double, std::milli>(Clock::now() - from).count();
}

int64_t NowMs() { return absl::ToUnixMillis(absl::Now()); }

// Emergencies spread over the four regions of the sample consortia, with conditions that need
// different ward kinds (as bench/greenchannel_bench.cc does).
struct Spot {
  double lat, lon;
};
constexpr Spot kSpots[] = {{27.70, 111.95}, {31.20, 121.45}, {31.03, 112.20}, {27.34, 117.49}, {28.20, 112.94}};
constexpr gv1::Condition kConditions[] = {
    gv1::STROKE, gv1::STEMI, gv1::MAJOR_TRAUMA, gv1::MATERNAL_EMERGENCY, gv1::PAEDIATRIC_CRITICAL, gv1::OTHER};

// Records one step and hands its status back.
grpc::Status Step(Tally* tally, const char* row, Clock::time_point from, const grpc::Status& s) {
  if (tally != nullptr) tally->Record(row, s.error_code(), MsSince(from));
  return s;
}

}  // namespace

Operations::Operations(const Home& home, OpSettings settings)
    : home_(home), settings_(std::move(settings)), referral_address_(home.address.at("referral")) {
  auto channel = [&](const std::string& service) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(64 << 20);
    return grpc::CreateCustomChannel(home_.address.at(service), grpc::InsecureChannelCredentials(), args);
  };
  auto to_referral = channel("referral"), to_greenchannel = channel("greenchannel"), to_audit = channel("audit");
  referrals_ = fv1::Referrals::NewStub(to_referral);
  greenchannel_ = gv1::GreenChannel::NewStub(to_greenchannel);
  audit_ = av1::Audit::NewStub(to_audit);
  health_.push_back(hv1::Health::NewStub(to_referral));
  health_.push_back(hv1::Health::NewStub(to_greenchannel));
  health_.push_back(hv1::Health::NewStub(to_audit));
  health_.push_back(hv1::Health::NewStub(channel("registry")));
}

std::vector<std::string> Operations::RowOrder() {
  return {"submit",
          "lifecycle",
          "lifecycle/submit",
          "lifecycle/acknowledge",
          "lifecycle/accept",
          "lifecycle/schedule",
          "lifecycle/arrive",
          "lifecycle/complete",
          "case",
          "case/open",
          "case/close",
          "board",
          "replay"};
}

std::unique_ptr<grpc::ClientContext> Operations::Context(const std::string& principal) const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + settings_.timeout);
  ctx->AddMetadata("authorization", "Bearer " + home_.token.at(principal));
  return ctx;
}

std::string Operations::NextId() { return absl::StrCat("lg-", settings_.tag, "-", serial_.fetch_add(1)); }

void Operations::Remember(const std::string& referral_id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (recent_.size() < kRecent)
    recent_.push_back(referral_id);
  else
    recent_[recent_next_] = referral_id;
  recent_next_ = (recent_next_ + 1) % kRecent;
}

std::string Operations::Recent() {
  std::lock_guard<std::mutex> lock(mu_);
  if (recent_.empty()) return "";
  return recent_[static_cast<size_t>(serial_.load()) % recent_.size()];
}

void Operations::Run(Op op, Clock::time_point started, Tally* tally) {
  grpc::Status s;
  int64_t items = 0;
  switch (op) {
    case Op::kSubmit:
      s = Submit(nullptr, started, fv1::EXPERT_OUTPATIENT, nullptr, nullptr);
      break;
    case Op::kLifecycle:
      s = Lifecycle(started, tally);
      break;
    case Op::kCase:
      s = Case(started, tally);
      break;
    case Op::kBoard:
      s = Board(started);
      break;
    case Op::kReplay:
      s = Replay(started, &items);
      break;
  }
  if (tally != nullptr) tally->Record(OpName(op), s.error_code(), MsSince(started), items);
}

void Operations::Ping(Clock::time_point started, Tally* tally) {
  hv1::HealthCheckRequest req;
  hv1::HealthCheckResponse out;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + settings_.timeout);
  const grpc::Status s = health_.front()->Check(&ctx, req, &out);
  if (tally != nullptr) tally->Record("ceiling", s.error_code(), MsSince(started));
}

absl::Status Operations::Reachable(std::chrono::milliseconds deadline) {
  const char* names[] = {"referral", "greenchannel", "audit", "registry"};
  for (size_t i = 0; i < health_.size(); ++i) {
    hv1::HealthCheckRequest req;
    hv1::HealthCheckResponse out;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + deadline);
    const grpc::Status s = health_[i]->Check(&ctx, req, &out);
    if (!s.ok() || out.status() != hv1::HealthCheckResponse::SERVING)
      return absl::UnavailableError(absl::StrCat(
          "the ", names[i], " service at ", home_.address.at(names[i]), " does not answer its health check (",
          s.ok() ? "not serving" : s.error_message(), "); is the platform running? (scripts/run.sh)"));
  }
  return absl::OkStatus();
}

grpc::Status Operations::Submit(const char* row, Clock::time_point from, fv1::ServiceKind kind, Tally* tally,
                                std::string* referral_id) {
  const int64_t n = serial_.load();
  fv1::SubmitReferralRequest req;
  auto* r = req.mutable_referral();
  r->set_direction(fv1::UPWARD);
  r->set_receiver_institution_id("loudi-1st");
  r->mutable_patient()->set_value(absl::StrCat("pt-load-", n % kPatients));
  r->set_reason(kind == fv1::EXAMINATION ? "suspected cholelithiasis, needs abdominal CT"
                                         : "chest pain on exertion, needs cardiology");
  *r->add_diagnoses() = ::yilian::domain::referral::Icd10(kind == fv1::EXAMINATION ? "K80.2" : "I20.9");
  r->set_priority(n % 10 == 0 ? fv1::ASAP : fv1::ROUTINE);
  r->set_requested_service(kind);
  req.set_request_id(NextId());
  fv1::ReferralReply out;
  const grpc::Status s = referrals_->Submit(Context("township").get(), req, &out);
  if (s.ok()) Remember(out.referral().referral_id());
  if (referral_id != nullptr) *referral_id = out.referral().referral_id();
  return row == nullptr ? s : Step(tally, row, from, s);
}

grpc::Status Operations::Lifecycle(Clock::time_point started, Tally* tally) {
  std::string id;
  if (auto s = Submit("lifecycle/submit", started, fv1::EXAMINATION, tally, &id); !s.ok()) return s;
  auto action = [&]<typename Request>(const char* row, grpc::Status (fv1::Referrals::Stub::*method)(
                                                           grpc::ClientContext*, const Request&, fv1::ReferralReply*)) {
    Request req;
    req.set_referral_id(id);
    req.set_request_id(NextId());
    fv1::ReferralReply out;
    const auto t0 = Clock::now();
    return Step(tally, row, t0, (referrals_.get()->*method)(Context("lead").get(), req, &out));
  };
  if (auto s = action("lifecycle/acknowledge", &fv1::Referrals::Stub::Acknowledge); !s.ok()) return s;
  if (auto s = action("lifecycle/accept", &fv1::Referrals::Stub::Accept); !s.ok()) return s;
  {
    fv1::ScheduleReferralRequest req;
    req.set_referral_id(id);
    req.set_request_id(NextId());
    YILIAN_SET_MS(req, appointment_at, NowMs() + 24 * 3600 * 1000);  // tomorrow
    fv1::ReferralReply out;
    const auto t0 = Clock::now();
    if (auto s = Step(tally, "lifecycle/schedule", t0, referrals_->Schedule(Context("lead").get(), req, &out)); !s.ok())
      return s;
  }
  if (auto s = action("lifecycle/arrive", &fv1::Referrals::Stub::RecordArrival); !s.ok()) return s;
  fv1::CompleteReferralRequest req;
  req.set_referral_id(id);
  req.set_request_id(NextId());
  req.set_outcome_summary("CT done: gallstones; elective cholecystectomy planned");
  fv1::ReferralReply out;
  const auto t0 = Clock::now();
  return Step(tally, "lifecycle/complete", t0, referrals_->Complete(Context("lead").get(), req, &out));
}

grpc::Status Operations::Case(Clock::time_point started, Tally* tally) {
  const int64_t n = serial_.load();
  gv1::OpenCaseRequest open;
  const Spot& spot = kSpots[n % 5];
  open.set_condition(kConditions[n % 6]);
  open.set_severity(static_cast<int32_t>(1 + n % 5));
  open.mutable_location()->set_latitude(spot.lat + 0.001 * static_cast<double>(n % 50));
  open.mutable_location()->set_longitude(spot.lon - 0.001 * static_cast<double>(n % 70));
  YILIAN_SET_MS(open, first_medical_contact_at, NowMs() - 60000);
  open.set_dispatch_centre("120-load");
  open.set_request_id(NextId());
  gv1::CaseReply opened;
  if (auto s = Step(tally, "case/open", started, greenchannel_->OpenCase(Context("dispatch").get(), open, &opened));
      !s.ok())
    return s;
  gv1::CloseCaseRequest close;  // releases the hold, so the wards keep their real occupancy
  close.set_case_id(opened.emergency_case().case_id());
  close.set_outcome("load test: closed");
  YILIAN_SET_MS(close, at, NowMs());
  close.set_request_id(NextId());
  gv1::CaseReply closed;
  const auto t0 = Clock::now();
  return Step(tally, "case/close", t0, greenchannel_->CloseCase(Context("dispatch").get(), close, &closed));
}

grpc::Status Operations::Board(Clock::time_point) {
  gv1::BedBoardRequest req;
  switch (serial_.fetch_add(1) % 3) {
    case 0:
      break;  // the whole board, as a dispatch centre sees it
    case 1:
      req.set_institution_id("loudi-1st");
      break;
    default:
      req.set_ward_kind(registry::v1::WARD_STROKE_UNIT);
      break;
  }
  gv1::BedBoard out;
  return greenchannel_->GetBedBoard(Context("dispatch").get(), req, &out);
}

grpc::Status Operations::Replay(Clock::time_point, int64_t* entries) {
  av1::ReplayRequest req;
  const std::string id = Recent();
  if (!id.empty()) {  // one referral's history (the archive follows by event: it may lag)
    req.mutable_aggregate()->set_source_service("referral");
    req.mutable_aggregate()->set_aggregate_type("referral");
    req.mutable_aggregate()->set_aggregate_id(id);
  } else {  // no referral of this run yet: the last second of the archive
    YILIAN_SET_MS(*req.mutable_time(), from, NowMs() - 1000);
    YILIAN_SET_MS(*req.mutable_time(), to, NowMs());
  }
  req.set_batch_size(settings_.replay_batch);
  auto ctx = Context("auditor");
  auto reader = audit_->Replay(ctx.get(), req);
  av1::ReplayBatch batch;
  while (reader->Read(&batch)) *entries += batch.entries_size();
  return reader->Finish();
}

}  // namespace yilian::loadgen
