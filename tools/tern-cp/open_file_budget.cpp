#include "open_file_budget.hpp"

#include <algorithm>
#include <sys/resource.h>

namespace tern_cp {

std::uint64_t raise_nofile_limit() {
  struct rlimit rl {};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;
  if (rl.rlim_cur < rl.rlim_max) {
    const rlim_t old = rl.rlim_cur;
    rl.rlim_cur = rl.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &rl) != 0) rl.rlim_cur = old;
  }
  return rl.rlim_cur == RLIM_INFINITY ? std::uint64_t{1} << 20 : static_cast<std::uint64_t>(rl.rlim_cur);
}

open_file_limits limits_for(std::uint64_t nofile) {
  open_file_limits l;
  l.nofile = nofile;
  const std::uint64_t headroom = 32 + nofile / 8;
  const std::uint64_t usable = nofile > headroom ? nofile - headroom : 0;
  l.total = static_cast<std::size_t>(std::max<std::uint64_t>(1, usable / fds_per_file));
  l.per_client = std::clamp<std::size_t>(l.total / 4, 1, max_files_per_client);
  return l;
}

open_file_budget::slot::~slot() {
  if (!budget_) return;
  --budget_->open_;
  --share_->open;
}

open_file_budget::slot open_file_budget::try_acquire(const std::shared_ptr<client_share>& share,
                                                     std::string& why) {
  if (share->open >= limits_.per_client) {
    why = "limit: this client key already has " + std::to_string(limits_.per_client) +
          " files in transfer (the receiver's per-client limit)";
    return {};
  }
  if (open_ >= limits_.total) {
    why = "limit: the receiver has " + std::to_string(limits_.total) + " files in transfer (its total limit)";
    return {};
  }
  ++open_;
  ++share->open;
  return slot(this, share);
}

} // namespace tern_cp
