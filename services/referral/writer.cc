#include "writer.h"

#include <future>

#include "absl/strings/str_cat.h"
#include "yilian/common/logging.h"
#include "yilian/common/oneof_event.h"
#include "yilian/common/status_macros.h"

namespace yilian::referral {

events::v1::Envelope ReferralEnvelope(const fv1::ReferralEvent& event, const fv1::Referral& after) {
  events::v1::Envelope env = common::EnvelopeOf(event);
  *env.mutable_patient() = after.patient();
  env.add_institution_ids(after.sender_institution_id());
  env.add_institution_ids(after.receiver_institution_id());
  return env;
}

absl::StatusOr<std::optional<fv1::ReferralReply>> ReferralWriter::Prior(const Call& call) const {
  if (call.idempotency_key.empty()) return std::nullopt;
  ASSIGN_OR_RETURN(auto prior, journal_->FindIdempotent(call.idempotency_key, call.request_hash));
  if (!prior) return std::nullopt;
  fv1::ReferralReply reply;
  if (!reply.ParseFromString(prior->response)) return absl::DataLossError("stored reply does not parse");
  return reply;
}

absl::StatusOr<fv1::SessionBookings> ReferralWriter::LockSession(const std::string& session_id, Change& change) {
  change.locks.push_back(session_locks_.Lock(session_id));
  return view_->Bookings(session_id);
}

eventstore::AppendRequest ReferralWriter::SessionAppend(const fv1::SessionBookings& bookings,
                                                        const std::vector<fv1::SessionEvent>& events) {
  eventstore::AppendRequest req;
  req.aggregate_type = dr::kExpertSession;
  req.aggregate_id = bookings.session_id();
  req.expected_version = bookings.version() == 0 ? eventstore::kNoStream : bookings.version();
  for (const auto& e : events) {
    auto env = common::EnvelopeOf(e);
    const auto& k = e.has_booked() ? e.booked().booking().institution_id() : std::string();
    if (!k.empty()) env.add_institution_ids(k);
    req.events.push_back(std::move(env));
  }
  return req;
}

absl::Status ReferralWriter::ReleaseSlot(const fv1::Referral& r, const std::string& reason, Change& change) {
  if (r.status() != fv1::SCHEDULED || r.schedule().kind() != fv1::EXPERT_OUTPATIENT || r.schedule().session_id().empty())
    return absl::OkStatus();
  ASSIGN_OR_RETURN(auto bookings, LockSession(r.schedule().session_id(), change));
  auto e = dr::ReleaseSlot(bookings, r.referral_id(), reason, Now());
  if (e) change.also.push_back(SessionAppend(bookings, {*e}));
  return absl::OkStatus();
}

void ReferralWriter::AddReferral(const dr::Events& events, Change& change) {
  std::optional<fv1::Referral> next;
  eventstore::AppendRequest req;
  req.aggregate_type = dr::kReferral;
  req.expected_version = eventstore::kNoStream;
  for (const auto& e : events) {
    if (!dr::Evolve(next, e).ok()) continue;  // the core's own events fold
    req.aggregate_id = next->referral_id();
    req.events.push_back(ReferralEnvelope(e, *next));
  }
  change.also.push_back(std::move(req));
}

struct ReferralWriter::Prepared {
  std::optional<fv1::ReferralReply> answer;  // set: no append, this is the reply
  std::vector<eventstore::AppendRequest> requests;
  fv1::ReferralReply reply;  // this call's reply once the requests are durable
  std::vector<StripeLocks::Hold> locks;
  std::string flow;
  std::string types;  // the event types, for the log line
};

absl::StatusOr<ReferralWriter::Prepared> ReferralWriter::Prepare(const Call& call, const std::string& referral_id,
                                                                 int64_t expected_version, const Decide& decide) {
  Prepared out;
  if (expected_version < 0) return absl::InvalidArgumentError("expected_version must not be negative");
  ASSIGN_OR_RETURN(out.answer, Prior(call));
  if (out.answer) return out;
  out.locks.push_back(referral_locks_.Lock(referral_id));
  ASSIGN_OR_RETURN(out.answer, Prior(call));  // a concurrent retry of the same call finished meanwhile
  if (out.answer) return out;
  ASSIGN_OR_RETURN(auto row, view_->Referral(referral_id));
  std::optional<fv1::Referral> state;
  int64_t version = 0;
  if (row) {
    state = row->referral();
    version = row->version();
  }
  if (expected_version > 0 && expected_version != version)
    return absl::AbortedError(absl::StrCat("referral ", referral_id, " is at version ", version, ", not ",
                                           expected_version, "; re-read and retry"));
  ASSIGN_OR_RETURN(Change change, decide(state));
  if (change.events.empty() && change.also.empty()) {
    if (!row) return absl::NotFoundError(absl::StrCat("no referral ", referral_id));
    out.answer = std::move(*row);
    return out;
  }
  eventstore::AppendRequest req;
  req.aggregate_type = dr::kReferral;
  req.aggregate_id = referral_id;
  req.expected_version = version == 0 ? eventstore::kNoStream : version;
  std::optional<fv1::Referral> next = state;
  for (const auto& e : change.events) {
    if (auto s = dr::Evolve(next, e); !s.ok()) return absl::InternalError(s.ToString());
    req.events.push_back(ReferralEnvelope(e, *next));
  }
  if (req.events.empty())  // only other aggregates change (cannot happen with the core's decisions)
    return absl::InternalError("a referral command changed other aggregates only");
  // The referral's flow id, kept from its submission, ties its events (and the referrals it
  // leads to) together in every service, whatever id later calls came with.
  out.flow = row && !row->correlation_id().empty() ? row->correlation_id() : call.correlation_id;
  if (next) *out.reply.mutable_referral() = std::move(*next);
  out.reply.set_version(version + static_cast<int64_t>(change.events.size()));
  out.reply.set_correlation_id(out.flow);
  out.requests.push_back(std::move(req));
  for (auto& more : change.also) out.requests.push_back(std::move(more));
  for (auto& r : out.requests) {
    r.actor = call.actor;
    r.correlation_id = out.flow;
    r.causation_id = call.causation_id;
  }
  out.requests[0].idempotency_key = call.idempotency_key;
  out.requests[0].request_hash = call.request_hash;
  out.requests[0].response = out.reply.SerializeAsString();
  for (const auto& r : out.requests)
    for (const auto& e : r.events) absl::StrAppend(&out.types, out.types.empty() ? "" : ",", e.event_type());
  for (auto& l : change.locks) out.locks.push_back(std::move(l));
  return out;
}

void ReferralWriter::CommandAsync(const Call& call, const std::string& referral_id, int64_t expected_version,
                                  const Decide& decide, Done done, Shape shape) {
  auto prepared = Prepare(call, referral_id, expected_version, decide);
  if (!prepared.ok()) return std::move(done)(prepared.status());
  if (prepared->answer) {
    prepared->locks.clear();
    if (shape) shape(*prepared->answer);
    return std::move(done)(std::move(*prepared->answer));
  }
  if (shape) shape(prepared->reply);  // its stored form is in the request already
  auto requests = std::move(prepared->requests);
  journal_->AppendTransactionAsync(
      std::move(requests),
      [p = std::move(*prepared), referral_id, call_flow = call.correlation_id, done = std::move(done),
       shape = std::move(shape)](absl::StatusOr<std::vector<eventstore::AppendResult>> results) mutable {
        p.locks.clear();  // durable (or failed): the next command on these aggregates may decide
        if (!results.ok()) return std::move(done)(results.status());
        fv1::ReferralReply out;  // this call's reply, or the first call's when the append was its retry
        if (!results->front().duplicate) {
          out = std::move(p.reply);
        } else {
          if (!out.ParseFromString(results->front().response))
            return std::move(done)(absl::DataLossError("stored reply does not parse"));
          if (shape) shape(out);
        }
        std::vector<common::LogField> fields = {{"correlation_id", p.flow}, {"referral_id", referral_id}};
        if (call_flow != p.flow) fields.emplace_back("call_correlation_id", call_flow);
        {
          common::LogScope scope(std::move(fields));
          common::Logger().info("referral {} v{}: {}", referral_id, out.version(), p.types);
        }
        std::move(done)(std::move(out));
      });
}

absl::StatusOr<fv1::ReferralReply> ReferralWriter::Command(const Call& call, const std::string& referral_id,
                                                           int64_t expected_version, const Decide& decide) {
  std::promise<absl::StatusOr<fv1::ReferralReply>> promise;
  auto future = promise.get_future();
  CommandAsync(call, referral_id, expected_version, decide,
               [&promise](absl::StatusOr<fv1::ReferralReply> r) { promise.set_value(std::move(r)); });
  return future.get();
}

}  // namespace yilian::referral
