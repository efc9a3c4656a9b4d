#pragma once
// How a response is shown: --json prints it as one line of protobuf JSON; otherwise readable
// text: scalar fields as "name: value" lines, and the first list of messages as a table
// whose columns are the rows' fields (nested ones dotted), widest values cut at 48 characters.
// In text, instants (protobuf Timestamps) show as local times ("2026-12-07 19:20:41"); --json and
// --get keep them as RFC 3339 in UTC ("2026-12-07T11:20:41.572Z").

#include <optional>
#include <string>

#include "google/protobuf/message.h"

namespace yilian::ctl {

std::string ToJson(const google::protobuf::Message& m);
// The value at a dotted path ("referral.referral_id", "entries.0.position") as text: strings
// bare, anything else as JSON; nullopt when the response has nothing there.
std::optional<std::string> Field(const google::protobuf::Message& m, const std::string& dotted);
std::string ToText(const google::protobuf::Message& m);
// `key`'s value as text shows it: an instant as local time, anything else as it is.
std::string ShownValue(const std::string& key, const std::string& value);

}  // namespace yilian::ctl
