#include "intake.h"

#include "absl/strings/str_cat.h"
#include "yilian/common/status_macros.h"
#include "yilian/domain/referral/referral.h"
#include "yilian/greenchannel/v1/greenchannel.pb.h"
#include "yilian/registry/v1/registry.pb.h"

namespace yilian::referral {

namespace dref = ::yilian::domain::referral;

namespace fv1 = ::yilian::referral::v1;

namespace gv1 = ::yilian::greenchannel::v1;
namespace rv1 = ::yilian::registry::v1;

namespace {

constexpr char kInbox[] = "ref/inbox";

// The referral a bed request belongs to: request ids are "<referral>/bed@<ms>".
std::string ReferralOf(const std::string& request_id) {
  const size_t at = request_id.rfind("/bed@");
  return at == std::string::npos ? std::string() : request_id.substr(0, at);
}

}  // namespace

IntakeProjector::IntakeProjector()
    : bus::InboxProjector(
          kInbox,
          [this](const events::v1::Envelope& env, eventstore::ProjectionBatch& rows) {
            return env.source_service() == "registry" ? registry_.Apply(env, rows) : absl::OkStatus();
          },
          [](const events::v1::Envelope& env) -> absl::StatusOr<bool> {
            // A cancelled expert session: its booked referrals are told.
            if (env.source_service() == "registry") return env.payload().Is<rv1::ExpertSessionCancelled>();
            if (env.source_service() != "greenchannel") return false;
            const auto& p = env.payload();  // the bed board's answers, on its bed request aggregates
            if (!p.Is<gv1::BedReserved>() && !p.Is<gv1::BedRequestDeclined>() && !p.Is<gv1::BedRequestReleased>())
              return false;
            if (ReferralOf(env.aggregate_id()).empty())
              return absl::InvalidArgumentError(
                  absl::StrCat("bed request id \"", env.aggregate_id(), "\" names no referral"));
            return true;
          }) {}

Intake::Intake(eventstore::Store* store, eventstore::Journal* journal, const ReferralView* view,
               ReferralCommands* commands)
    : view_(view), commands_(commands) {
  worker_ = std::make_unique<bus::InboxWorker>(
      store, journal, kInbox, "yl-ref-intake",
      [this](const events::v1::Envelope& env, const std::string& key, const std::string& hash) {
        command::Call call = command::ServiceCall("referral", env.correlation_id(), env.event_id());
        call.idempotency_key = key;
        call.request_hash = hash;
        return Handle(env, call);
      });
}

absl::Status Intake::SessionCancelled(const events::v1::Envelope& env, const command::Call& call) {
  rv1::ExpertSessionCancelled e;
  if (!env.payload().UnpackTo(&e)) return absl::InvalidArgumentError("ExpertSessionCancelled does not parse");
  const std::string& session_id = env.aggregate_id();
  ASSIGN_OR_RETURN(auto bookings, view_->Bookings(session_id));
  for (const auto& b : bookings.bookings()) {
    command::Call each = call;  // one command per booked referral, each with its own key
    each.idempotency_key = absl::StrCat(call.idempotency_key, "/", b.referral_id());
    auto r = commands_->RunAsService(each, b.referral_id(), [&](const std::optional<fv1::Referral>& s, absl::Time now) {
      return absl::StatusOr<dref::Events>(dref::SessionCancelled(s, session_id, e.reason(), now));
    });
    if (!r.ok() && !absl::IsNotFound(r.status())) return r.status();
  }
  return absl::OkStatus();
}

absl::Status Intake::Handle(const events::v1::Envelope& env, const command::Call& call) {
  if (env.source_service() == "registry") return SessionCancelled(env, call);
  const std::string& request_id = env.aggregate_id();
  const auto& p = env.payload();
  const dref::Side system = dref::Side::kSystem;
  std::function<absl::StatusOr<dref::Events>(const std::optional<fv1::Referral>&, absl::Time)> decide;
  if (p.Is<gv1::BedReserved>() || p.Is<gv1::BedRequestDeclined>()) {
    const bool reserved = p.Is<gv1::BedReserved>();
    gv1::BedRequest req;
    if (reserved) {
      gv1::BedReserved e;
      if (!p.UnpackTo(&e)) return absl::InvalidArgumentError("BedReserved does not parse");
      req = e.request();
    } else {
      gv1::BedRequestDeclined e;
      if (!p.UnpackTo(&e)) return absl::InvalidArgumentError("BedRequestDeclined does not parse");
      req = e.request();
    }
    decide = [&, reserved, reason = req.reason()](const std::optional<fv1::Referral>& s, absl::Time now) {
      return dref::AnswerBed(s, system, request_id, reserved, reason, now);
    };
  } else {
    gv1::BedRequestReleased e;
    if (!p.UnpackTo(&e)) return absl::InvalidArgumentError("BedRequestReleased does not parse");
    if (e.reason() != "expired") return absl::OkStatus();  // released because the referral let it go
    decide = [&](const std::optional<fv1::Referral>& s, absl::Time now) -> absl::StatusOr<dref::Events> {
      // Only a referral still waiting on this very bed fails; otherwise nothing changes.
      if (!s || s->status() != fv1::READY || s->schedule().bed_request_id() != request_id) return dref::Events{};
      return dref::Fail(s, system, fv1::NO_SHOW, "the bed hold lapsed before the patient arrived", now);
    };
  }
  auto r = commands_->RunAsService(call, ReferralOf(request_id), decide);
  if (absl::IsNotFound(r.status()))  // an answer for a referral this service never had
    return absl::NotFoundError(absl::StrCat("bed answer for unknown referral ", ReferralOf(request_id)));
  return r.status();
}

}  // namespace yilian::referral
