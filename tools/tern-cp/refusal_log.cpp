#include "refusal_log.hpp"

#include "peer_text.hpp"

#include "crypto/crypto_error.hpp"

namespace tern_cp {

std::string describe_refusal(const tern::refused_client& r) {
  std::string line = "tern-cp: refused client " + r.peer.to_string() + ": ";
  if (r.fingerprint.empty())
    line += "it presented no key";
  else if (r.reason == tern::crypto::crypto_errc::fingerprint_mismatch)
    line += "key " + escape_peer_text(r.fingerprint) + " is not in authorized_keys";
  else
    line += "key " + escape_peer_text(r.fingerprint) + ": " + r.reason.message();
  return line;
}

std::optional<std::string> refusal_log::flush(clock::time_point now) {
  if (!started_ || now < window_start_ + limits_.window) return std::nullopt;
  std::optional<std::string> summary;
  if (held_back_ > 0) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(limits_.window).count();
    summary = "tern-cp: " + std::to_string(held_back_) + " more client(s) refused in the last " +
              (ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms") +
              " (not logged one by one)";
  }
  started_ = false;
  lines_in_window_ = 0;
  held_back_ = 0;
  return summary;
}

std::vector<std::string> refusal_log::refused(const tern::refused_client& r, clock::time_point now) {
  std::vector<std::string> out;
  if (auto summary = flush(now)) out.push_back(std::move(*summary));
  if (!started_) {
    started_ = true;
    window_start_ = now;
  }
  ++total_;
  if (lines_in_window_ < limits_.lines_per_window) {
    ++lines_in_window_;
    out.push_back(describe_refusal(r));
  } else {
    ++held_back_;
  }
  return out;
}

std::optional<refusal_log::clock::time_point> refusal_log::summary_due() const {
  if (!started_ || held_back_ == 0) return std::nullopt;
  return window_start_ + limits_.window;
}

} // namespace tern_cp
