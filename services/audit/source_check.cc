#include "source_check.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "yilian/common/sha256.h"
#include "yilian/common/status_macros.h"

namespace yilian::audit {

namespace av1 = ::yilian::audit::v1;

namespace {

struct Findings {
  std::vector<std::pair<int64_t, int64_t>> gaps;  // inclusive ranges
  std::vector<int64_t> broken;                    // entries whose predecessor's copy does not fit
  std::map<int64_t, std::string> expected;        // broken entry -> the hash it names
  int64_t archived = 0;
  int64_t head = 0;
};

absl::StatusOr<Findings> Walk(const ArchiveView& view, const std::string& source) {
  Findings f;
  SourceCopy prev;
  RETURN_IF_ERROR(view.ForEachSourceCopy(source, [&](const SourceCopy& c) {
    ++f.archived;
    if (c.sequence > prev.sequence + 1)
      f.gaps.emplace_back(prev.sequence + 1, c.sequence - 1);
    else if (prev.sequence > 0 && c.previous_hash != prev.hash) {
      f.broken.push_back(c.sequence);
      f.expected[c.sequence] = c.previous_hash;
    } else if (c.sequence == 1 && !c.previous_hash.empty())
      f.broken.push_back(1);
    prev = c;
    f.head = c.sequence;
    return true;
  }));
  return f;
}

// Archives what the feed has for [from, to]; returns how many.
// `want`: only an entry with this hash (a correction); empty: any.
absl::StatusOr<int> Fill(Archiver* archiver, bus::EventSource* feed, const std::string& source, int64_t from,
                         int64_t to, const std::string& want = "") {
  std::vector<ArchiveRequest> got;
  RETURN_IF_ERROR(feed->ReadJournal(source, from, to, [&](int64_t, std::string_view hash, std::string_view bytes) {
    if (common::Sha256(bytes) != hash) return absl::DataLossError("a feed entry fails its hash");
    if (!want.empty() && hash != want) return absl::OkStatus();  // the feed's copy does not fit either
    got.push_back({std::string(bytes), true, !want.empty()});
    return absl::OkStatus();
  }));
  const int n = static_cast<int>(got.size());
  if (n > 0) RETURN_IF_ERROR(archiver->Archive(std::move(got)));
  return n;
}

// The source's own head beside what is archived of it.
void Compare(bus::EventSource* feed, const std::string& source, av1::SourceReport& report) {
  if (feed == nullptr) {
    report.set_head_unknown("no catch-up feeds configured");
    return;
  }
  auto head = feed->HeadOf(source);
  if (!head.ok()) {
    report.set_head_unknown(std::string(head.status().message()));
    return;
  }
  report.set_source_head(*head);
  report.set_behind_by(std::max<int64_t>(0, *head - report.head_sequence()));
}

}  // namespace

absl::StatusOr<std::vector<av1::SourceReport>> CheckSources(const ArchiveView& view, Archiver* archiver,
                                                            bus::EventSource* feed,
                                                            const std::vector<std::string>& expected, bool check,
                                                            bool repair) {
  ASSIGN_OR_RETURN(auto archived, view.Sources());
  std::set<std::string> sources(expected.begin(), expected.end());
  sources.insert(archived.begin(), archived.end());
  sources.erase("audit");
  std::vector<av1::SourceReport> out;
  for (const auto& source : sources) {
    av1::SourceReport report;
    report.set_source_service(source);
    ASSIGN_OR_RETURN(Findings f, Walk(view, source));
    if (repair && feed != nullptr) {
      int repaired = 0;
      for (const auto& [from, to] : f.gaps) {
        auto n = Fill(archiver, feed, source, from, to);
        if (n.ok()) repaired += *n;
      }
      for (int64_t seq : f.broken) {  // the predecessor's copy may be the altered one
        if (seq <= 1) continue;
        auto n = Fill(archiver, feed, source, seq - 1, seq - 1, f.expected[seq]);
        if (n.ok()) repaired += *n;
      }
      auto tail = Fill(archiver, feed, source, f.head + 1, f.head + 100000);  // what never arrived
      if (tail.ok()) repaired += *tail;
      report.set_repaired(repaired);
      if (repaired > 0) {
        ASSIGN_OR_RETURN(f, Walk(view, source));
      }
    }
    report.set_archived(f.archived);
    report.set_head_sequence(f.head);
    Compare(feed, source, report);
    if (!check && !repair) {
      out.push_back(std::move(report));
      continue;
    }
    for (const auto& [from, to] : f.gaps) {
      auto* p = report.add_problems();
      p->set_source_sequence(from);
      p->set_problem(from == to ? "missing" : absl::StrCat("missing, through ", to));
    }
    for (int64_t seq : f.broken) {
      auto* p = report.add_problems();
      p->set_source_sequence(seq);
      p->set_problem(
          seq == 1 ? "the first entry names a predecessor"
                   : absl::StrCat("breaks the chain: its previous_hash is not the hash of the archived #", seq - 1));
    }
    out.push_back(std::move(report));
  }
  return out;
}

absl::StatusOr<v1::VerifyResponse> VerifyArchive(const eventstore::Journal& journal, const ArchiveView& view,
                                                 Archiver* archiver, bus::EventSource* feed,
                                                 const std::vector<std::string>& sources,
                                                 const v1::VerifyRequest& req) {
  ASSIGN_OR_RETURN(auto v, journal.Verify(std::max<int64_t>(1, req.from_position()), req.to_position()));
  v1::VerifyResponse out;
  out.set_intact(v.intact);
  out.set_checked(v.checked);
  out.set_head_position(v.head.sequence);
  out.set_head_hash(v.head.hash);
  out.set_bad_position(v.bad_sequence);
  out.set_problem(v.problem);
  ASSIGN_OR_RETURN(auto reports,
                   CheckSources(view, archiver, feed, sources, req.check_sources(), req.repair_sources()));
  for (auto& r : reports) {
    if (r.behind_by() > 0) out.set_behind(true);
    *out.add_sources() = std::move(r);
  }
  return out;
}

}  // namespace yilian::audit
