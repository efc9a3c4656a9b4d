// Mutual recognition of exam results (检查结果互认): which attached results the receiver
// need not repeat. Recognition covers results, not the other doctor's conclusion.
#include <algorithm>

#include "absl/time/civil_time.h"
#include "internal.h"
#include "yilian/common/timestamp.h"

namespace yilian::domain::referral {

namespace fv1 = ::yilian::referral::v1;

absl::Duration ValidityOf(fv1::ExamKind kind) {
  switch (kind) {
    case fv1::LAB_ROUTINE:
    case fv1::ECG:
      return absl::Hours(7 * 24);
    case fv1::ULTRASOUND:
    case fv1::XRAY:
      return absl::Hours(30 * 24);
    case fv1::CT:
      return absl::Hours(90 * 24);
    case fv1::MRI:
      return absl::Hours(180 * 24);
    case fv1::PATHOLOGY:
      return absl::Hours(365 * 24);
    default:
      return absl::ZeroDuration();
  }
}

std::vector<fv1::ExamRecognition> RecogniseExams(const fv1::Referral& referral, const Directory& directory,
                                                 absl::Time now) {
  const auto receiver_consortia = directory.ConsortiaOf(referral.receiver_institution_id());
  std::vector<fv1::ExamRecognition> out;
  for (const auto& r : referral.exam_results()) {
    fv1::ExamRecognition x;
    *x.mutable_result() = r;
    const absl::Time until = absl::FromUnixMillis(common::UnixMs(r.performed_at())) + ValidityOf(r.kind());
    YILIAN_SET_MS(x, valid_until, absl::ToUnixMillis(until));
    const auto performer = directory.ConsortiaOf(r.performing_institution_id());
    const bool shared = std::any_of(performer.begin(), performer.end(), [&](const std::string& c) {
      return std::find(receiver_consortia.begin(), receiver_consortia.end(), c) != receiver_consortia.end();
    });
    const std::string day = absl::FormatCivilTime(absl::ToCivilDay(until, absl::UTCTimeZone()));
    if (!shared) {
      x.set_reason(absl::StrCat("performed by ", r.performing_institution_id(), ", outside the receiver's consortia"));
    } else if (now > until) {
      x.set_reason(absl::StrCat(fv1::ExamKind_Name(r.kind()), " expired on ", day));
    } else {
      x.set_recognised(true);
      x.set_reason(absl::StrCat("recognised: valid until ", day, "; need not be repeated"));
    }
    out.push_back(std::move(x));
  }
  return out;
}

}  // namespace yilian::domain::referral
