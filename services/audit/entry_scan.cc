#include "entry_scan.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/strings/str_cat.h"
#include "yilian/common/timestamp.h"

namespace yilian::audit {

namespace {

using google::protobuf::io::CodedInputStream;
using WFL = google::protobuf::internal::WireFormatLite;

enum class Read { kTaken, kSkip, kBad };
using FieldFn = absl::FunctionRef<Read(int field, WFL::WireType type, CodedInputStream& in)>;

// Calls `fn` for each field of the message in `bytes`; `fn` reads the value (kTaken), leaves it
// to be skipped (kSkip) or finds it malformed (kBad). False when the message is malformed.
bool Fields(std::string_view bytes, FieldFn fn) {
  CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()), static_cast<int>(bytes.size()));
  while (const uint32_t tag = in.ReadTag()) {
    switch (fn(WFL::GetTagFieldNumber(tag), WFL::GetTagWireType(tag), in)) {
      case Read::kTaken:
        break;
      case Read::kSkip:
        if (!WFL::SkipField(&in, tag)) return false;
        break;
      case Read::kBad:
        return false;
    }
  }
  return in.ConsumedEntireMessage();
}

// A length-delimited value, as a view into the input.
Read View(CodedInputStream& in, std::string_view* out) {
  uint32_t size = 0;
  if (!in.ReadVarint32(&size)) return Read::kBad;
  if (size == 0) {
    *out = {};
    return Read::kTaken;
  }
  const void* data = nullptr;
  int available = 0;
  if (!in.GetDirectBufferPointer(&data, &available) || static_cast<uint32_t>(available) < size) return Read::kBad;
  *out = std::string_view(static_cast<const char*>(data), size);
  return in.Skip(static_cast<int>(size)) ? Read::kTaken : Read::kBad;
}

Read Int(CodedInputStream& in, int64_t* out) {
  uint64_t v = 0;
  if (!in.ReadVarint64(&v)) return Read::kBad;
  *out = static_cast<int64_t>(v);
  return Read::kTaken;
}

// A sub-message's bytes, walked with `fn`.
Read Message(CodedInputStream& in, FieldFn fn) {
  std::string_view bytes;
  if (View(in, &bytes) != Read::kTaken) return Read::kBad;
  return Fields(bytes, fn) ? Read::kTaken : Read::kBad;
}

// What replay needs of an envelope (events.v1.Envelope field numbers). A field that comes
// twice is read as protobuf would: the last value wins, sub-messages merge.
struct Head {
  std::string_view event_type, source_service, type_url, value, patient;
  int64_t source_sequence = 0, seconds = 0;
  int32_t nanos = 0;
};

bool ScanEnvelope(std::string_view bytes, Head* h) {
  return Fields(bytes, [h](int field, WFL::WireType type, CodedInputStream& in) {
    if (field == 5) return type == WFL::WIRETYPE_VARINT ? Int(in, &h->source_sequence) : Read::kSkip;
    if (type != WFL::WIRETYPE_LENGTH_DELIMITED) return Read::kSkip;
    switch (field) {
      case 2:
        return View(in, &h->event_type);
      case 4:
        return View(in, &h->source_service);
      case 10:  // recorded_at: Timestamp{seconds = 1, nanos = 2}
        return Message(in, [h](int f, WFL::WireType t, CodedInputStream& s) {
          if (t != WFL::WIRETYPE_VARINT || (f != 1 && f != 2)) return Read::kSkip;
          int64_t v = 0;
          if (Int(s, &v) != Read::kTaken) return Read::kBad;
          if (f == 1) {
            h->seconds = v;
          } else {
            h->nanos = static_cast<int32_t>(static_cast<uint32_t>(v));  // int32 on the wire
          }
          return Read::kTaken;
        });
      case 15:  // payload: Any{type_url = 1, value = 2}
        return Message(in, [h](int f, WFL::WireType t, CodedInputStream& s) {
          if (t != WFL::WIRETYPE_LENGTH_DELIMITED || (f != 1 && f != 2)) return Read::kSkip;
          return View(s, f == 1 ? &h->type_url : &h->value);
        });
      case 17:  // patient: PatientRef{value = 1}
        return Message(in, [h](int f, WFL::WireType t, CodedInputStream& s) {
          return t == WFL::WIRETYPE_LENGTH_DELIMITED && f == 1 ? View(s, &h->patient) : Read::kSkip;
        });
      default:
        return Read::kSkip;
    }
  });
}

bool IsArchivedEvent(std::string_view type_url) {
  // As Any::Is: the name after the last '/'.
  const std::string_view name = audit::v1::ArchivedEvent::descriptor()->full_name();
  const size_t slash = type_url.rfind('/');
  return slash != std::string_view::npos && type_url.substr(slash + 1) == name;
}

}  // namespace

absl::Status ScanEntry(const eventstore::JournalEntry& stored, audit::v1::Entry* entry, std::string* patient) {
  const auto lost = [&](const char* what) {
    return absl::DataLossError(absl::StrCat("archive entry ", stored.sequence, ": ", what, " does not parse"));
  };
  const std::string_view outer_bytes = stored.envelope;
  Head outer;
  if (!ScanEnvelope(outer_bytes, &outer)) return lost("stored envelope");
  entry->set_position(stored.sequence);
  entry->set_chain_hash(stored.hash.data(), stored.hash.size());
  const Head* env = &outer;
  Head inner;
  if (IsArchivedEvent(outer.type_url)) {
    std::string_view bytes, source;
    int64_t sequence = 0;
    // ArchivedEvent{envelope = 1, source_service = 2, source_sequence = 3}
    const bool ok = Fields(outer.value, [&](int f, WFL::WireType t, CodedInputStream& in) {
      if (f == 3) return t == WFL::WIRETYPE_VARINT ? Int(in, &sequence) : Read::kSkip;
      if (t != WFL::WIRETYPE_LENGTH_DELIMITED || (f != 1 && f != 2)) return Read::kSkip;
      return View(in, f == 1 ? &bytes : &source);
    });
    if (!ok) return lost("ArchivedEvent");
    if (!ScanEnvelope(bytes, &inner)) return lost("archived envelope");
    env = &inner;
    entry->set_source_service(source.data(), source.size());
    entry->set_source_sequence(sequence);
    entry->set_envelope(bytes.data(), bytes.size());
  } else {
    entry->set_source_service(outer.source_service.data(), outer.source_service.size());
    entry->set_source_sequence(outer.source_sequence);
    entry->set_envelope(outer_bytes.data(), outer_bytes.size());
  }
  entry->set_event_type(env->event_type.data(), env->event_type.size());
  YILIAN_SET_MS(*entry, recorded_at, env->seconds * 1000 + env->nanos / 1'000'000);
  patient->assign(env->patient.data(), env->patient.size());
  return absl::OkStatus();
}

}  // namespace yilian::audit
