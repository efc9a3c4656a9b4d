#pragma once
// Domain events are proto wrappers with one oneof `kind` (RegistryEvent, CaseEvent, ...); an
// envelope carries only the chosen message, so its type names the event. These convert
// between the two by reflection, for every wrapper alike. Thread-safe.

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "yilian/events/v1/envelope.pb.h"

namespace yilian::common {

// The message set in `wrapper`'s oneof `kind` (the wrapper itself when none is set).
const google::protobuf::Message& OneofPayload(const google::protobuf::Message& wrapper);
// Sets the field of `wrapper`'s oneof whose type is `payload`'s. INVALID_ARGUMENT if none is.
absl::Status SetOneofPayload(const google::protobuf::Message& payload, google::protobuf::Message* wrapper);
// An envelope with event_type, schema_version 1 and the payload of `wrapper` set.
events::v1::Envelope EnvelopeOf(const google::protobuf::Message& wrapper);
// The envelope's payload as `wrapper`'s oneof. INVALID_ARGUMENT when it is not one of its
// kinds, DATA_LOSS when the payload does not parse.
absl::Status UnpackOneof(const events::v1::Envelope& envelope, google::protobuf::Message* wrapper);

template <typename Wrapper>
absl::StatusOr<Wrapper> UnpackEvent(const events::v1::Envelope& envelope) {
  Wrapper w;
  if (auto s = UnpackOneof(envelope, &w); !s.ok()) return s;
  return w;
}

}  // namespace yilian::common
