#pragma once
// An in-process green channel for tests: the whole stack (real store, journal, projection,
// intake, expiry timer, gRPC server on port 0) on a manual clock, next to an in-process
// registry. Without Kafka, what the bus consumer would do is done by hand: Sync() folds the
// registry's new events into the green channel's consumed family through the same
// IntakeProjector, SendReferral() does the same for a referral event, and both wait until
// the intake has acted. Callers (bearer tokens): "dispatch" (DISPATCH), "loudi-doc"
// (clinician at loudi-1st), "xiangya-doc" (clinician at xiangya-3rd), "auditor", "service",
// "impostor" (a SERVICE named "greenchannel"), "loudi-his" and "xiangya-his" (HOSPITAL_SYSTEM),
// "admin" (CONSORTIUM_ADMIN).

#include <grpcpp/grpcpp.h>

#include <filesystem>

#include "../../services/greenchannel/stack.h"
#include "hand_feed.h"
#include "registry_node.h"
#include "yilian/testing/wait.h"

namespace yilian::greenchannel {
class GreenChannelNode {
 public:
  explicit GreenChannelNode(const std::string& dir, BoardOptions board = {})
      : registry(Made(dir) + "/registry"), dir_(dir), board_(board) {
    auth_ = std::make_unique<host::Authenticator>(host::Authenticator::FromTokens({
        {"dispatch", {"dispatcher@120-loudi", "", common::Role::ROLE_DISPATCH}},
        {"loudi-doc", {"dr.zhang", "loudi-1st", common::Role::ROLE_CLINICIAN}},
        {"xiangya-doc", {"dr.chen", "xiangya-3rd", common::Role::ROLE_CLINICIAN}},
        {"auditor", {"auditor@province", "", common::Role::ROLE_AUDITOR}},
        {"service", {"referral", "", common::Role::ROLE_SERVICE}},
        // A remote SERVICE principal named like the green channel itself.
        {"impostor", {"greenchannel", "", common::Role::ROLE_SERVICE}},
        {"loudi-his", {"his@loudi-1st", "loudi-1st", common::Role::ROLE_HOSPITAL_SYSTEM}},
        {"xiangya-his", {"his@xiangya-3rd", "xiangya-3rd", common::Role::ROLE_HOSPITAL_SYSTEM}},
        {"admin", {"admin@loudi", "loudi-1st", common::Role::ROLE_CONSORTIUM_ADMIN}},
    }));
    Start(false);
  }
  ~GreenChannelNode() { Stop(); }

  void Start(bool rebuild) {
    StackOptions o{.data_dir = dir_ + "/greenchannel",
                   .rebuild = rebuild,
                   .use_bus = false,
                   .board = board_,
                   .expiry_poll = absl::Milliseconds(10),
                   .clock = &clock,
                   .host = {.service_name = "greenchannel"},
                   .auth = auth_.get()};
    auto s = GreenChannelStack::Start(o);
    if (!s.ok()) throw std::runtime_error(s.status().ToString());
    stack = std::move(*s);
    stub = v1::GreenChannel::NewStub(grpc::CreateChannel(stack->address(), grpc::InsecureChannelCredentials()));
  }
  void Stop() {
    stub.reset();
    stack.reset();
  }

  // The sample consortia of deploy/, imported into the registry and synced.
  void ImportSample(const std::string& file) {
    registry.ImportSample(file);
    Sync();
  }
  // Changes a ward's capacity in the registry and syncs.
  void SetCapacity(const std::string& institution, const std::string& ward, int capacity, int reserved) {
    registry::v1::ChangeWardCapacityRequest req;
    req.set_institution_id(institution);
    req.set_ward_id(ward);
    req.set_capacity(capacity);
    req.set_emergency_reserved(reserved);
    registry::v1::WardReply out;
    auto s = registry.stub->ChangeWardCapacity(registry::RegistryNode::As("admin").get(), req, &out);
    if (!s.ok()) throw std::runtime_error(s.error_message());
    Sync();
  }

  // Hands the registry's new events to the intake and waits until it has acted on them.
  void Sync() { feed_.Follow(*registry.journal, synced_); }
  // A referral event (BedRequested, BedRequestCancelled, ReferredPatientAdmitted) as the
  // referral service would publish it; returns what the intake projector said.
  absl::Status SendReferral(const google::protobuf::Message& payload, const std::string& referral_id) {
    return feed_.Send(payload, "referral", ++referral_sequence_, "referral", referral_id);
  }

  static std::unique_ptr<grpc::ClientContext> As(const std::string& token) { return registry::RegistryNode::As(token); }

  common::ManualClock clock{absl::FromUnixSeconds(1'790'000'000)};
  registry::RegistryNode registry;
  std::unique_ptr<GreenChannelStack> stack;
  std::unique_ptr<v1::GreenChannel::Stub> stub;

 private:
  static std::string Made(const std::string& dir) {
    std::filesystem::create_directories(dir);
    return dir;
  }
  std::string dir_;
  BoardOptions board_;
  std::unique_ptr<host::Authenticator> auth_;
  testing::HandFeed feed_{[this]() -> eventstore::Store& { return stack->store(); },
                          [this]() -> eventstore::Projector& { return stack->intake_projector(); },
                          [this] { stack->intake().Notify(); }, [this] { return stack->intake().Pending(); }};
  int64_t synced_ = 0;
  int64_t referral_sequence_ = 0;
};

}  // namespace yilian::greenchannel
