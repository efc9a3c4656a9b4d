#include "yilian/common/timestamp.h"

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

}  // namespace yilian::common
