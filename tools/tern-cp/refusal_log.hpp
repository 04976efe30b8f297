#pragma once

// serve's log of the clients its handshake refused (an unknown key, or no
// certificate): one line each, with the client's address and key, so the
// owner sees who knocks and can add a key that was meant to be let in.
// A flood of refused handshakes must not fill the log: at most
// `lines_per_window` lines per window (one second by default); the
// refusals beyond are counted and summed up in one line once the window
// has ended ("... N more clients refused in the last 1 s (not logged one
// by one)"). So the log grows by at most lines_per_window + 1 lines per
// window, whatever the flood. No clock is read here: times come in.

#include <tern/config.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tern_cp {

/// One refusal as a log line (no newline): the address, the key escaped
/// (escape_peer_text), and why.
std::string describe_refusal(const tern::refused_client& r);

class refusal_log {
public:
  using clock = std::chrono::steady_clock;
  struct limits {
    std::size_t lines_per_window = 10;
    clock::duration window = std::chrono::seconds(1);
  };

  explicit refusal_log(limits l) : limits_(l) {}

  /// A refusal at `now`: the lines to write now (the summary of an ended
  /// window that held refusals back, then this refusal's line unless the
  /// current window has had its lines).
  std::vector<std::string> refused(const tern::refused_client& r, clock::time_point now);
  /// The summary of the window, if it has ended by `now` and held
  /// refusals back; the caller writes it (summary_due() says when).
  std::optional<std::string> flush(clock::time_point now);
  /// When the current window's summary is due; nullopt if none is pending.
  std::optional<clock::time_point> summary_due() const;

  std::uint64_t total() const noexcept { return total_; }

private:
  limits limits_;
  clock::time_point window_start_{};
  bool started_ = false;
  std::size_t lines_in_window_ = 0;
  std::uint64_t held_back_ = 0; ///< refusals of the current window not logged one by one
  std::uint64_t total_ = 0;
};

} // namespace tern_cp
