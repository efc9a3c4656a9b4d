#include "yilian/common/problem.h"

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_replace.h"
#include "yilian/common/strings.h"

namespace yilian::common {
namespace {

constexpr char kPayloadUrl[] = "type.yilian/yilian.common.v1.Problem";

v1::Problem Marks(const absl::Status& status) {
  v1::Problem p;
  if (auto c = status.GetPayload(kPayloadUrl)) p.ParseFromString(std::string(*c));
  return p;
}

absl::Status Marked(absl::Status status, const v1::Problem& p) {
  if (status.ok()) return status;
  status.SetPayload(kPayloadUrl, absl::Cord(p.SerializeAsString()));
  return status;
}

}  // namespace

absl::Status FieldError(std::string_view field, absl::Status status) {
  v1::Problem p = Marks(status);
  p.set_type("field-invalid");
  p.set_field(std::string(field));
  return Marked(std::move(status), p);
}

absl::Status InvalidField(std::string_view field, std::string_view message) {
  return FieldError(field, absl::InvalidArgumentError(common::Sv(message)));
}

absl::Status VersionConflict(int64_t current_version, absl::Status status) {
  v1::Problem p = Marks(status);
  p.set_type("version-conflict");
  p.set_current_version(current_version);
  return Marked(std::move(status), p);
}

absl::Status WrongState(const std::vector<std::string>& allowed_actions, absl::Status status) {
  v1::Problem p = Marks(status);
  p.set_type("wrong-state");
  p.clear_allowed_actions();
  for (const auto& a : allowed_actions) p.add_allowed_actions(a);
  return Marked(std::move(status), p);
}

v1::Problem ProblemOf(const absl::Status& status) {
  v1::Problem p = Marks(status);
  const std::string code = absl::StatusCodeToString(status.code());  // "FAILED_PRECONDITION"
  if (p.type().empty()) p.set_type(absl::StrReplaceAll(absl::AsciiStrToLower(code), {{"_", "-"}}));
  p.set_title(code);
  p.set_detail(std::string(status.message()));
  return p;
}

}  // namespace yilian::common
