// The connection's path (core/path_state.hpp). Validation follows RFC 9000
// §8.2 and §9.3: the peer's address changes as soon as a non-probing packet
// arrives from a new one (so replies go where the peer now is), bounded by
// the amplification limit until the PATH_RESPONSE comes back; without one
// by the deadline the connection returns to the previous address.

#include "core/path_state.hpp"

#include <cstdint>

namespace tern::core {

std::size_t path_state::amplification_budget() const noexcept {
  if (validated) return SIZE_MAX;
  const std::uint64_t allowed = amplification_factor * bytes_received;
  return allowed > bytes_sent ? static_cast<std::size_t>(allowed - bytes_sent) : 0;
}

void path_state::queue_response(const path_data& data, const address& from) {
  if (responses.size() < max_pending_responses) responses.push_back(path_response{data, from});
}

bool path_state::response_elsewhere_pending() const noexcept {
  return !responses.empty() && !(responses.front().to == peer);
}

void path_state::begin_validation(const address& to, const path_data& data, time_point deadline) {
  if (!validation.active) {
    validation.previous = peer;
    validation.previous_validated = validated;
  }
  validation.active = true;
  validation.to = to;
  validation.data = data;
  validation.challenge_pending = true;
  validation.deadline = deadline;
  peer = to;
  validated = false;
  bytes_received = 0;
  bytes_sent = 0;
}

bool path_state::on_response(const path_data& data, const address& from) {
  if (!validation.active || data != validation.data) return false;
  validation.active = false;
  validation.challenge_pending = false;
  if (from == peer) validated = true;
  return true;
}

void path_state::abandon_validation() {
  validation.active = false;
  validation.challenge_pending = false;
  peer = validation.previous;
  validated = validation.previous_validated;
}

} // namespace tern::core
