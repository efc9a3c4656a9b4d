#pragma once
// The referral core tests' world: a consortium around Loudi (a directory in memory), a draft
// upward referral, and helpers that fold a command's events.
#include <gtest/gtest.h>

#include <map>

#include "yilian/domain/referral/referral.h"
#include "yilian/testing/registry_data.h"
#include "yilian/testing/status_matchers.h"

namespace yilian::domain::referral {

namespace rv1 = ::yilian::registry::v1;
namespace fv1 = ::yilian::referral::v1;

using testing::Inst;

class FakeDirectory : public Directory {
 public:
  FakeDirectory() {
    Add(Inst("loudi-1st", rv1::TERTIARY_HOSPITAL, 3, {rv1::STROKE_CENTRE, rv1::NEUROLOGY, rv1::CARDIOLOGY}), 27.7286,
        111.9948);
    Add(Inst("lianyuan-county", rv1::COUNTY_HOSPITAL, 2, {rv1::NEUROLOGY, rv1::GENERAL_SURGERY}), 27.69, 111.66);
    Add(Inst("qiaotouhe-thc", rv1::TOWNSHIP_HEALTH_CENTRE, 1, {rv1::GENERAL_MEDICINE}), 27.692, 111.655);
    Add(Inst("dutoutang-thc", rv1::TOWNSHIP_HEALTH_CENTRE, 1, {rv1::GENERAL_MEDICINE, rv1::REHABILITATION}), 27.625,
        111.804);
    Add(Inst("xiangya-3rd", rv1::TERTIARY_HOSPITAL, 3, {rv1::STROKE_CENTRE, rv1::NEUROLOGY}), 28.2085, 112.9457);
    auto closed = Inst("closed-county", rv1::COUNTY_HOSPITAL, 2, {rv1::NEUROLOGY});
    closed.set_suspended(true);
    Add(closed, 27.7, 111.7);
    Consortium("loudi-alliance", "loudi-1st", {"lianyuan-county", "qiaotouhe-thc", "dutoutang-thc", "closed-county"});
    Consortium("loudi-xiangya-link", "xiangya-3rd", {"loudi-1st"});
  }
  std::optional<rv1::Institution> FindInstitution(const std::string& id) const override {
    auto it = institutions_.find(id);
    if (it == institutions_.end()) return std::nullopt;
    return it->second;
  }
  std::vector<std::string> ConsortiaOf(const std::string& id) const override {
    std::vector<std::string> out;
    for (const auto& [cid, c] : consortia_) {
      if (c.lead_institution_id() == id) out.push_back(cid);
      for (const auto& m : c.member_ids())
        if (m == id) out.push_back(cid);
    }
    return out;
  }
  std::optional<rv1::Consortium> FindConsortium(const std::string& id) const override {
    auto it = consortia_.find(id);
    if (it == consortia_.end()) return std::nullopt;
    return it->second;
  }

 private:
  void Add(rv1::Institution i, double lat, double lon) {
    i.mutable_location()->set_latitude(lat);
    i.mutable_location()->set_longitude(lon);
    institutions_[i.institution_id()] = i;
  }
  void Consortium(const std::string& id, const std::string& lead, std::vector<std::string> members) {
    rv1::Consortium c;
    c.set_consortium_id(id);
    c.set_lead_institution_id(lead);
    for (auto& m : members) c.add_member_ids(m);
    consortia_[id] = c;
  }
  std::map<std::string, rv1::Institution> institutions_;
  std::map<std::string, rv1::Consortium> consortia_;
};

inline const absl::Time kNow = absl::FromUnixSeconds(1'790'000'000);

inline fv1::Referral Draft(const std::string& from = "qiaotouhe-thc", const std::string& to = "loudi-1st",
                           fv1::Direction dir = fv1::UPWARD) {
  fv1::Referral d;
  d.set_referral_id("ref-1");
  d.set_direction(dir);
  d.set_sender_institution_id(from);
  d.set_sender_clinician("dr.li");
  d.set_receiver_institution_id(to);
  d.mutable_patient()->set_value("pt-9f2c4a");
  d.set_reason("suspected TIA, needs neurology work-up");
  *d.add_diagnoses() = ::yilian::domain::referral::Icd10("G45.9");
  d.set_priority(fv1::URGENT);
  d.set_requested_service(fv1::EXPERT_OUTPATIENT);
  return d;
}

inline std::optional<fv1::Referral> Fold(const Events& events, std::optional<fv1::Referral> s = std::nullopt) {
  for (const auto& e : events) EXPECT_OK(Evolve(s, e));
  return s;
}

class ReferralCoreTest : public ::testing::Test {
 protected:
  std::optional<fv1::Referral> Submitted(fv1::Referral d = Draft()) {
    auto e = Submit(std::nullopt, d, dir_, kNow);
    EXPECT_OK(e.status());
    return e.ok() ? Fold(*e) : std::nullopt;
  }
  // Applies a command's events to `s`; the command must succeed.
  void Do(std::optional<fv1::Referral>& s, absl::StatusOr<Events> events) {
    ASSERT_OK(events.status());
    s = Fold(*events, s);
  }
  FakeDirectory dir_;
};

}  // namespace yilian::domain::referral
