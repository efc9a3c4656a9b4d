#pragma once
// An in-process referral service for tests: the whole stack (real store, journal, projection,
// intake, deadline timers, gRPC server on port 0) on a manual clock, next to an in-process
// registry. Without Kafka, what the bus consumer would do is done by hand: Sync() folds the
// registry's new events into the mirror, SendBoard() hands over a bed board answer, and both
// wait until the intake has acted. Callers (bearer tokens, CLINICIAN unless said):
//   qiaotouhe-doc (qiaotouhe-thc, township, Loudi alliance)   dutoutang-doc (dutoutang-thc)
//   loudi-doc, loudi-office (REFERRAL_OFFICE) (loudi-1st, lead of the Loudi alliance)
//   xiangya-doc (xiangya-3rd, lead of the consortium loudi-1st belongs to)
//   ruijin-doc (ruijin)   wuliqiao-doc, dapuqiao-doc, huaihai-doc, ruijin2-doc (its community centres)
//   dispatch (DISPATCH), auditor (AUDITOR), admin (CONSORTIUM_ADMIN)

#include <grpcpp/grpcpp.h>

#include <filesystem>

#include "../../services/referral/stack.h"
#include "hand_feed.h"
#include "registry_node.h"
#include "yilian/referral/v1/referral_service.grpc.pb.h"

namespace yilian::referral {

class ReferralNode {
 public:
  explicit ReferralNode(const std::string& dir, absl::Time start = absl::FromUnixSeconds(1'790'000'000))
      : clock(start), registry(Made(dir) + "/registry"), dir_(dir) {
    std::map<std::string, common::Principal> tokens = {
        {"dispatch", {"dispatcher@120", "", common::Role::ROLE_DISPATCH}},
        {"auditor", {"auditor@province", "", common::Role::ROLE_AUDITOR}},
        {"admin", {"admin@loudi", "loudi-1st", common::Role::ROLE_CONSORTIUM_ADMIN}},
        {"loudi-office", {"office@loudi-1st", "loudi-1st", common::Role::ROLE_REFERRAL_OFFICE}},
        // loudi-doc's subject name, at another institution: another principal.
        {"namesake", {"dr@loudi-1st", "dutoutang-thc", common::Role::ROLE_CLINICIAN}},
    };
    for (const char* inst : {"qiaotouhe-thc", "dutoutang-thc", "loudi-1st", "xiangya-3rd", "ruijin", "wuliqiao-chc",
                             "dapuqiao-chc", "huaihai-chc", "ruijin2-chc"}) {
      std::string name(inst);
      name = name.substr(0, name.find('-') == std::string::npos ? name.size() : name.find('-'));
      tokens[name + "-doc"] = {"dr@" + std::string(inst), inst, common::Role::ROLE_CLINICIAN};
    }
    auth_ = std::make_unique<host::Authenticator>(host::Authenticator::FromTokens(tokens));
    Start(false);
  }
  ~ReferralNode() { Stop(); }

  void Start(bool rebuild) {
    StackOptions o{.data_dir = dir_ + "/referral",
                   .rebuild = rebuild,
                   .use_bus = false,
                   .timer_poll = absl::Hours(1),
                   .clock = &clock,
                   .host = {.service_name = "referral"},
                   .auth = auth_.get()};
    auto s = ReferralStack::Start(o);
    if (!s.ok()) throw std::runtime_error(s.status().ToString());
    stack = std::move(*s);
    stub = v1::Referrals::NewStub(grpc::CreateChannel(stack->address(), grpc::InsecureChannelCredentials()));
  }
  void Stop() {
    stub.reset();
    stack.reset();
  }

  void ImportSample(const std::string& file) {
    registry.ImportSample(file);
    Sync();
  }
  // Signs `patient` with a family doctor at `institution` (registry) and syncs.
  void Enrol(const std::string& patient, const std::string& institution) {
    registry::v1::EnrolResidentRequest req;
    req.mutable_resident()->mutable_patient()->set_value(patient);
    req.mutable_resident()->set_family_doctor_institution_id(institution);
    req.mutable_resident()->set_team("team-1");
    req.mutable_resident()->mutable_signed_at()->set_seconds(absl::ToUnixSeconds(clock.Now()) - 86400);
    req.set_request_id("enrol-" + patient);
    registry::v1::ResidentReply out;
    auto s = registry.stub->EnrolResident(registry::RegistryNode::As("admin").get(), req, &out);
    if (!s.ok()) throw std::runtime_error(s.error_message());
    Sync();
  }
  void Sync() { feed_.Follow(*registry.journal, synced_); }
  // A bed board event (BedReserved, BedRequestDeclined, BedRequestReleased) on its bed_request
  // aggregate, as the green channel publishes it; returns what the intake projector said.
  absl::Status SendBoard(const google::protobuf::Message& payload, const std::string& request_id) {
    return feed_.Send(payload, "greenchannel", ++board_sequence_, "bed_request", request_id);
  }

  static std::unique_ptr<grpc::ClientContext> As(const std::string& token) { return registry::RegistryNode::As(token); }

  common::ManualClock clock;
  registry::RegistryNode registry;
  std::unique_ptr<ReferralStack> stack;
  std::unique_ptr<v1::Referrals::Stub> stub;

 private:
  static std::string Made(const std::string& dir) {
    std::filesystem::create_directories(dir);
    return dir;
  }
  std::string dir_;
  std::unique_ptr<host::Authenticator> auth_;
  testing::HandFeed feed_{[this]() -> eventstore::Store& { return stack->store(); },
                          [this]() -> eventstore::Projector& { return stack->intake_projector(); },
                          [this] { stack->intake().Notify(); }, [this] { return stack->intake().Pending(); }};
  int64_t synced_ = 0;
  int64_t board_sequence_ = 0;
};

}  // namespace yilian::referral
