#include "yilian/common/timestamp.h"

#include <algorithm>

#include "google/protobuf/util/time_util.h"
#include "yilian/common/problem.h"

namespace yilian::common {

using google::protobuf::util::TimeUtil;

absl::StatusOr<absl::Time> FromTimestamp(const google::protobuf::Timestamp& t, const std::string& field) {
  if (t.seconds() < TimeUtil::kTimestampMinSeconds || t.seconds() > TimeUtil::kTimestampMaxSeconds || t.nanos() < 0 ||
      t.nanos() > 999'999'999)
    return InvalidField(field, field + " is not a valid timestamp");
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

google::protobuf::Timestamp ToTimestamp(absl::Time t) { return TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t)); }

int64_t UnixMs(const google::protobuf::Timestamp& t) {
  const int64_t seconds =
      std::clamp<int64_t>(t.seconds(), TimeUtil::kTimestampMinSeconds, TimeUtil::kTimestampMaxSeconds);
  return seconds * 1000 + std::clamp<int32_t>(t.nanos(), 0, 999'999'999) / 1'000'000;
}

google::protobuf::Timestamp TimestampFromMs(int64_t ms) {
  google::protobuf::Timestamp t;
  t.set_seconds(ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000));
  t.set_nanos(static_cast<int32_t>((ms - t.seconds() * 1000) * 1'000'000));
  return t;
}

absl::Status CheckTimestamp(const google::protobuf::Timestamp& t, const std::string& field) {
  return FromTimestamp(t, field).status();
}

}  // namespace yilian::common
