#include "yilian/common/oneof_event.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "yilian/common/strings.h"

namespace yilian::common {

namespace pb = ::google::protobuf;

namespace {

// The wrapper's oneof `kind`, found by a scan of its few oneofs (FindOneofByName hashes the
// name, a cost every event of a fold paid).
const pb::OneofDescriptor* KindOf(const pb::Descriptor* wrapper) {
  for (int i = 0; i < wrapper->oneof_decl_count(); ++i)
    if (wrapper->oneof_decl(i)->name() == "kind") return wrapper->oneof_decl(i);
  return nullptr;
}

const pb::FieldDescriptor* FieldOfType(const pb::Descriptor* wrapper, std::string_view full_name) {
  const auto* oneof = KindOf(wrapper);
  if (oneof == nullptr) return nullptr;
  for (int i = 0; i < oneof->field_count(); ++i) {
    const auto* f = oneof->field(i);
    if (f->message_type() != nullptr && f->message_type()->full_name() == full_name) return f;
  }
  return nullptr;
}

}  // namespace

const pb::Message& OneofPayload(const pb::Message& wrapper) {
  const auto* oneof = KindOf(wrapper.GetDescriptor());
  if (oneof == nullptr) return wrapper;
  const auto* field = wrapper.GetReflection()->GetOneofFieldDescriptor(wrapper, oneof);
  if (field == nullptr) return wrapper;
  return wrapper.GetReflection()->GetMessage(wrapper, field);
}

absl::Status SetOneofPayload(const pb::Message& payload, pb::Message* wrapper) {
  const auto* f = FieldOfType(wrapper->GetDescriptor(), payload.GetDescriptor()->full_name());
  if (f == nullptr)
    return absl::InvalidArgumentError(
        absl::StrCat(payload.GetDescriptor()->full_name(), " is not a ", wrapper->GetDescriptor()->name()));
  wrapper->GetReflection()->MutableMessage(wrapper, f)->CopyFrom(payload);
  return absl::OkStatus();
}

events::v1::Envelope EnvelopeOf(const pb::Message& wrapper) {
  events::v1::Envelope env;
  const auto& payload = OneofPayload(wrapper);
  env.set_event_type(payload.GetDescriptor()->full_name());
  env.set_schema_version(1);
  env.mutable_payload()->PackFrom(payload);
  return env;
}

absl::Status UnpackOneof(const events::v1::Envelope& envelope, pb::Message* wrapper) {
  wrapper->Clear();
  const std::string_view url = envelope.payload().type_url();  // what is packed, whatever event_type says
  const size_t slash = url.rfind('/');
  if (slash == std::string_view::npos)  // as Any requires: <prefix>/<full type name>
    return absl::InvalidArgumentError(absl::StrCat("payload type_url \"", Sv(url), "\" names no type"));
  const std::string_view type = url.substr(slash + 1);
  const auto* f = FieldOfType(wrapper->GetDescriptor(), type);
  if (f == nullptr)
    return absl::InvalidArgumentError(
        absl::StrCat("payload ", Sv(type), " is not a ", wrapper->GetDescriptor()->name()));
  pb::Message* target = wrapper->GetReflection()->MutableMessage(wrapper, f);
  // The type is the field's, so the value is parsed as it without Any::UnpackTo's second check.
  if (!target->ParseFromString(envelope.payload().value()))
    return absl::DataLossError(absl::StrCat("payload ", Sv(type), " does not parse"));
  return absl::OkStatus();
}

}  // namespace yilian::common
