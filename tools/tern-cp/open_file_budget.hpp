#pragma once

// How many files the receiver keeps open at once, in total and per client
// key (all the connections of one key together). Each file in transfer holds a few descriptors (its partial,
// the partial folder, a directory while walking the path), and a client
// that opens streams and then says nothing would otherwise hold them until
// the process runs out (EMFILE) and legitimate files are refused with
// "Too many open files". The limits derive from RLIMIT_NOFILE, keeping
// headroom for the socket, the event loop, stdio and qlog files.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace tern_cp {

struct open_file_limits {
  std::uint64_t nofile = 0; ///< the soft RLIMIT_NOFILE they derive from
  std::size_t total = 0;    ///< files in transfer at once, all connections
  std::size_t per_client = 0; ///< files in transfer at once for one client key
};

/// Descriptors one file in transfer may hold at once (partial, partial
/// folder, one directory during a walk).
inline constexpr std::size_t fds_per_file = 3;
/// Never more per client key: the sender's own --parallel is at most 256.
inline constexpr std::size_t max_files_per_client = 256;

/// Raises the soft RLIMIT_NOFILE to the hard limit (allowed to any
/// process) and returns the soft limit then in force (the old one if the
/// raise failed; 1024 if it cannot be read).
std::uint64_t raise_nofile_limit();

/// Limits for a process allowed `nofile` descriptors: 32 + nofile/8 are
/// left for everything else, the rest divided by fds_per_file is the
/// total (at least 1); a client key gets a quarter of it (at least 1, at
/// most max_files_per_client), so one client cannot take all by opening
/// more connections.
open_file_limits limits_for(std::uint64_t nofile);

/// Counts files in transfer against open_file_limits. Single-threaded (the
/// receiver runs on one executor).
class open_file_budget {
public:
  /// Files of one client key; shared by the slots of all its connections' streams.
  struct client_share {
    std::size_t open = 0;
  };

  /// Held while a file is in transfer; gives its place back on destruction.
  class slot {
  public:
    slot() = default;
    slot(slot&& o) noexcept : budget_(o.budget_), share_(std::move(o.share_)) { o.budget_ = nullptr; }
    slot& operator=(slot&&) = delete;
    slot(const slot&) = delete;
    ~slot();
    explicit operator bool() const noexcept { return budget_ != nullptr; }

  private:
    friend class open_file_budget;
    slot(open_file_budget* b, std::shared_ptr<client_share> s) : budget_(b), share_(std::move(s)) {}
    open_file_budget* budget_ = nullptr;
    std::shared_ptr<client_share> share_;
  };

  explicit open_file_budget(open_file_limits limits) : limits_(limits) {}
  const open_file_limits& limits() const noexcept { return limits_; }
  std::size_t open() const noexcept { return open_; }

  /// A slot for one more file of `share`'s client; an empty slot with
  /// `why` set if the client or the process is at its limit.
  slot try_acquire(const std::shared_ptr<client_share>& share, std::string& why);

private:
  open_file_limits limits_;
  std::size_t open_ = 0;
};

} // namespace tern_cp
