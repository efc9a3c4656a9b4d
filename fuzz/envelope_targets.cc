// (a) Hostile wire data: a Kafka message as the bus consumer reads it, and an entry of the
// audit archive as replay, export and the archive's index read it.
#include <librdkafka/rdkafka.h>

#include "absl/strings/escaping.h"
#include "google/protobuf/util/json_util.h"
#include "services/audit/archive_model.h"
#include "services/audit/archiver.h"
#include "services/greenchannel/intake.h"
#include "services/referral/intake.h"
#include "support.h"
#include "targets.h"
#include "yilian/bus/wire.h"
#include "yilian/common/oneof_event.h"
#include "yilian/common/sha256.h"
#include "yilian/common/timestamp.h"
#include "yilian/eventstore/journal.h"
#include "yilian/registry_model/registry_model.h"

namespace yilian::fuzz {

namespace {

constexpr const char* kSources[] = {"registry", "referral", "greenchannel", "audit"};
constexpr const char* kHeaderNames[] = {bus::kHeaderType, bus::kHeaderSource, bus::kHeaderSequence,
                                        bus::kHeaderPrevious, bus::kHeaderHash};

// The checks of BusConsumer's ReadMessage (consumer.cc, private there), through the same
// public calls in the same order: headers, the value's hash, the envelope, its source.
absl::StatusOr<events::v1::Envelope> ReadMessage(const rd_kafka_headers_t* headers, std::string_view value,
                                                 const std::string& source) {
  auto h = bus::ReadHeaders(headers);
  if (!h.ok()) return h.status();
  if (common::Sha256(value) != h->hash) return absl::DataLossError("the value does not match its yilian-sha256 header");
  auto env = eventstore::ParseEnvelope(value);
  if (!env.ok()) return env.status();
  if (env->source_sequence() != h->sequence || env->source_service() != source)
    return absl::InvalidArgumentError("the envelope's source or sequence disagrees with its headers and topic");
  return env;
}

// What the services do with an envelope the consumer accepted (or the feed delivered).
void Consume(const events::v1::Envelope& env, std::string_view stored, int32_t partitions) {
  const int32_t p = bus::PartitionFor(env.aggregate_id(), partitions);
  Require(p >= 0 && p < partitions, "PartitionFor stays inside the partition count");
  static greenchannel::IntakeProjector* greenchannel = new greenchannel::IntakeProjector();
  static referral::IntakeProjector* referral = new referral::IntakeProjector();
  static audit::ArchiveProjector* archive = new audit::ArchiveProjector();
  for (eventstore::Projector* projector :
       {static_cast<eventstore::Projector*>(greenchannel), static_cast<eventstore::Projector*>(referral),
        static_cast<eventstore::Projector*>(archive)}) {
    Scratch scratch;
    (void)projector->ApplyEntry(env, stored, scratch.rows());
  }
  // Every reader of events unpacks the payload into its wrapper (as-of rebuilds, compliance).
  (void)registry_model::EventOf(env);
  (void)common::UnpackEvent<referral::v1::ReferralEvent>(env);
  (void)common::UnpackEvent<referral::v1::SessionEvent>(env);
  (void)common::UnpackEvent<greenchannel::v1::CaseEvent>(env);
  (void)common::UnpackEvent<greenchannel::v1::BoardEvent>(env);
  (void)common::UnpackEvent<greenchannel::v1::BedRequestEvent>(env);
}

}  // namespace

// Layout: flags, header count, headers (name selector [, name chunk], value chunk), value.
//   flags bit 0: add a correct yilian-sha256 header (so the hash check passes)
//         bit 1: parse the value even when the headers are refused (the catch-up feed's path)
//         bits 2-3: the topic's source service; bits 6-7: partitions - 1
//   name selector: 0-4 a known header, 5-7 a name from the next chunk; bit 7: a null value
int FuzzEnvelope(const uint8_t* data, size_t size) {
  FuzzInput in(data, size);
  const uint8_t flags = in.Byte();
  const std::string source = kSources[(flags >> 2) & 3];
  const int32_t partitions = 1 + (flags >> 6);
  rd_kafka_headers_t* headers = rd_kafka_headers_new(8);
  for (int n = in.Byte() % 8; n > 0; --n) {
    const uint8_t selector = in.Byte();
    const std::string name = (selector & 7) < 5 ? kHeaderNames[selector & 7] : in.Text();
    const std::string_view value = in.Chunk();
    rd_kafka_header_add(headers, name.data(), static_cast<ssize_t>(name.size()),
                        (selector & 0x80) ? nullptr : value.data(), (selector & 0x80) ? 0 : value.size());
  }
  const std::string_view value = in.Rest();
  if (flags & 1) {
    const std::string hash = common::Sha256(value);
    rd_kafka_header_add(headers, bus::kHeaderHash, -1, hash.data(), hash.size());
  }
  auto env = ReadMessage(headers, value, source);
  rd_kafka_headers_destroy(headers);
  if (!env.ok() && (flags & 2)) env = eventstore::ParseEnvelope(value);
  if (env.ok()) Consume(*env, value, partitions);
  return 0;
}

namespace {

// The archiver's wrapping of a source entry (archiver.cc's ArchiveAppend): an ArchivedEvent
// envelope, as the archive's journal stores it (before the journal fills in its own fields).
std::string Archived(std::string_view source_bytes, bool correction) {
  audit::v1::ArchivedEvent a;
  a.set_envelope(std::string(source_bytes));
  auto inner = eventstore::ParseEnvelope(source_bytes);
  if (inner.ok()) {
    a.set_source_service(inner->source_service());
    a.set_source_sequence(inner->source_sequence());
  }
  a.set_correction(correction);
  events::v1::Envelope out;
  out.set_event_type(a.GetDescriptor()->full_name());
  out.set_schema_version(1);
  out.set_source_service("audit");
  out.mutable_payload()->PackFrom(a);
  if (inner.ok()) *out.mutable_occurred_at() = inner->recorded_at();
  return out.SerializeAsString();
}

// export.cc's JSON line for an entry (the same fields, printed the same way).
void JsonLine(const audit::Unpacked& u) {
  audit::v1::ExportLine line;
  line.set_position(u.entry.position());
  line.set_chain_hash(absl::BytesToHexString(u.entry.chain_hash()));
  line.set_source_service(u.entry.source_service());
  line.set_source_sequence(u.entry.source_sequence());
  line.set_event_type(u.entry.event_type());
  YILIAN_SET_MS(line, recorded_at, common::UnixMs(u.entry.recorded_at()));
  *line.mutable_envelope() = u.envelope;
  std::string out;
  google::protobuf::util::JsonPrintOptions o;
  o.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(line, &out, o);
}

}  // namespace

// Layout: flags, the archive position (u32), rest: the stored envelope bytes.
//   flags bit 0: the rest is a source service's entry; wrap it as the archiver does
//         bit 1: and mark the copy a correction
int FuzzArchiveEntry(const uint8_t* data, size_t size) {
  FuzzInput in(data, size);
  const uint8_t flags = in.Byte();
  const int64_t position = in.U32();
  std::string stored(in.Rest());
  if (flags & 1) stored = Archived(stored, flags & 2);
  const std::string hash = common::Sha256(stored);
  const eventstore::JournalEntry entry{position, hash, stored};
  auto u = audit::Unpack(entry);
  if (u.ok()) JsonLine(*u);
  auto outer = eventstore::ParseEnvelope(stored);
  if (outer.ok()) {
    outer->set_source_sequence(position);  // the archive journal's own sequence
    Scratch scratch(eventstore::Family::kProjection);
    audit::IndexProjector index;
    (void)index.Apply(*outer, scratch.rows());
    (void)audit::Millis(outer->recorded_at());
  }
  return 0;
}

}  // namespace yilian::fuzz
