#include "expiry.h"

#include "yilian/common/logging.h"
#include "yilian/common/status_macros.h"
#include "yilian/common/timestamp.h"
#include "yilian/domain/greenchannel/bed_board.h"
#include "yilian/domain/greenchannel/bed_request.h"

namespace yilian::greenchannel {

namespace dgc = ::yilian::domain::greenchannel;
namespace gv1 = ::yilian::greenchannel::v1;

ExpiryTimer::ExpiryTimer(Board* board, CaseCommands* cases, BedCommands* beds, absl::Duration poll)
    : board_(board), cases_(cases), beds_(beds), loop_({.name = "yl-expiry", .period = poll}, [this] {
        Pass();
        return false;
      }) {
  loop_.Start();
}

int ExpiryTimer::ExpireDue() {
  int due = 0;
  loop_.RunExclusive([&] { due = Pass(); });
  return due;
}

int ExpiryTimer::Pass() {
  auto due = board_->view().DueHolds(board_->NowMs(), 256);
  if (!due.ok()) {
    common::Logger().error("green channel expiry: {}", due.status().ToString());
    return 0;
  }
  for (const auto& d : *due)
    if (auto s = Expire(d); !s.ok())
      common::Logger().warn("green channel expiry of hold {} on {}: {}", d.hold_id, d.ward_key, s.ToString());
  return static_cast<int>(due->size());
}

absl::Status ExpiryTimer::Expire(const DueHold& due) {
  gv1::BedHold hold;
  {  // still there, and due?
    auto locks = board_->ward_locks().LockAll({due.ward_key});
    ASSIGN_OR_RETURN(auto ward, board_->LoadWard(due.ward_key));
    const gv1::BedHold* h = dgc::FindHold(ward.state(), due.hold_id);
    if (h == nullptr || common::UnixMs(h->expires_at()) > board_->NowMs()) return absl::OkStatus();
    hold = *h;
  }
  if (const std::string request = dgc::RequestOfHold(hold); !request.empty()) {
    ASSIGN_OR_RETURN(auto q, board_->view().Request(request));
    if (q) return beds_->ReleaseExpired(*q);
  } else if (hold.purpose() == gv1::EMERGENCY) {
    ASSIGN_OR_RETURN(auto c, board_->view().Case(hold.subject_id()));
    if (c && c->emergency_case().hold_id() == hold.hold_id() && c->emergency_case().status() == gv1::EN_ROUTE) {
      // At the version just read: if a dispatcher moved the case meanwhile, this is ABORTED
      // and the next round sees the new hold, which is not due.
      auto r = cases_->PlaceAgainAfterExpiry(hold.subject_id(), c->version());
      if (r.ok() || absl::IsAborted(r.status()) || absl::IsUnavailable(r.status())) return r.status();
      common::Logger().warn("green channel: re-placing case {} after its hold expired: {}", hold.subject_id(),
                            r.status().ToString());
    }
  }
  // A hold nobody owns any more, or a case that could not be placed again.
  return cases_->ExpireUnplaced(due, hold);
}

}  // namespace yilian::greenchannel
