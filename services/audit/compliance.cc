#include "compliance.h"

#include <algorithm>
#include <map>

#include "yilian/common/oneof_event.h"
#include "yilian/common/status_macros.h"
#include "yilian/common/timestamp.h"
#include "yilian/domain/greenchannel/bed_board.h"
#include "yilian/domain/greenchannel/emergency_case.h"
#include "yilian/domain/referral/referral.h"

namespace yilian::audit {

namespace av1 = ::yilian::audit::v1;

namespace fv1 = ::yilian::referral::v1;
namespace gv1 = ::yilian::greenchannel::v1;

namespace {

bool In(const av1::TimeRange& r, int64_t ms) {
  return ms >= common::UnixMs(r.from()) && (common::UnixMs(r.to()) == 0 || ms < common::UnixMs(r.to()));
}

struct Answer {
  fv1::Priority priority = fv1::PRIORITY_UNSPECIFIED;
  int64_t submitted = 0, respond_by = 0, answered = -1;
  bool escalated = false, counted = false;
  bool void_ = false;  // entered in error: it should never have existed, so it counts nowhere
};

bool IsResponse(const fv1::ReferralEvent& e) {
  return e.has_received() || e.has_accepted() || e.has_rejected() || e.has_information_requested();
}

}  // namespace

absl::StatusOr<av1::ComplianceReport> Compliance(const ArchiveView& view, const av1::TimeRange& range) {
  if (common::UnixMs(range.to()) != 0 && common::UnixMs(range.to()) <= common::UnixMs(range.from()))
    return absl::InvalidArgumentError("time.to must be after time.from");
  std::map<std::string, Answer> referrals;
  std::map<std::string, std::optional<gv1::EmergencyCase>> cases;
  absl::Status failed;
  RETURN_IF_ERROR(view.ForEach(0, [&](const Unpacked& u) {
    const auto& env = u.envelope;
    if (env.source_service() == "referral" && env.aggregate_type() == domain::referral::kReferral) {
      auto e = common::UnpackEvent<fv1::ReferralEvent>(env);
      if (!e.ok()) return true;  // not a referral event this report reads
      Answer& a = referrals[env.aggregate_id()];
      if (e->has_submitted()) {
        const auto& r = e->submitted().referral();
        a.priority = r.priority();
        a.submitted = common::UnixMs(r.submitted_at());
        a.respond_by = common::UnixMs(r.respond_by());
        a.counted = r.status() != fv1::DRAFT && In(range, a.submitted);  // a draft counts once sent
      } else if (e->has_sent()) {
        a.submitted = common::UnixMs(e->sent().submitted_at());
        a.respond_by = common::UnixMs(e->sent().respond_by());
        a.counted = In(range, a.submitted);
      } else if (e->has_amended()) {
        const auto& m = e->amended();
        if (std::find(m.paths().begin(), m.paths().end(), "priority") != m.paths().end())
          a.priority = m.amended().priority();
        if (common::UnixMs(m.respond_by()) > 0) a.respond_by = common::UnixMs(m.respond_by());
      } else if (e->has_entered_in_error()) {
        a.void_ = true;
      } else if (IsResponse(*e) && a.answered < 0) {
        a.answered = Millis(env.recorded_at());
      } else if (e->has_escalated()) {
        a.escalated = true;
      }
    } else if (env.source_service() == "greenchannel" && env.aggregate_type() == domain::greenchannel::kCase) {
      auto e = common::UnpackEvent<gv1::CaseEvent>(env);
      if (!e.ok()) return true;
      failed = domain::greenchannel::Evolve(cases[env.aggregate_id()], *e);
      if (!failed.ok()) return false;
    }
    return true;
  }));
  RETURN_IF_ERROR(failed);

  av1::ComplianceReport out;
  std::map<int, std::vector<int64_t>> minutes;
  std::map<int, av1::ResponseTimes> rows;
  for (const auto& [id, a] : referrals) {
    if (!a.counted || a.void_) continue;
    auto& row = rows[a.priority];
    row.set_priority(a.priority);
    row.set_referrals(row.referrals() + 1);
    if (a.escalated) row.set_escalated(row.escalated() + 1);
    if (a.answered < 0) continue;
    row.set_answered(row.answered() + 1);
    if (a.answered <= a.respond_by) row.set_answered_in_time(row.answered_in_time() + 1);
    minutes[a.priority].push_back((a.answered - a.submitted) / 60000);
  }
  for (auto& [p, row] : rows) {
    auto& v = minutes[p];
    if (!v.empty()) {
      std::sort(v.begin(), v.end());
      row.set_median_response_min(v[v.size() / 2]);
      row.set_worst_response_min(v.back());
    }
    *out.add_referral_response() = row;
  }

  domain::greenchannel::TreatmentClocksTally tally;
  for (const auto& [id, c] : cases)
    if (c && In(range, common::UnixMs(c->first_medical_contact_at()))) tally.Add(*c);
  for (auto& row : tally.Rows()) *out.add_treatment_clocks() = std::move(row);
  return out;
}

}  // namespace yilian::audit
