// The endpoint's pre-connection check (config::require_address_validation,
// docs/protocol.md §9.4): an Initial must carry a token from one of our
// Retries, bound to its source address, or a NEW_TOKEN token we gave its IP
// on an earlier connection, before it may create state. An Initial without
// one (or whose NEW_TOKEN token does not validate) is answered with a Retry,
// at most one per Initial and smaller than it, so a spoofed source gains no
// amplification; an Initial with a bad or expired Retry token is dropped
// (its client already had its one Retry, RFC 9000 §8.1.2).

#include "asio/api_impl.hpp"

namespace tern::detail {

void make_address_validator(const config& cfg, std::optional<core::retry_validator>& out) {
  if (cfg.accept_connections && cfg.require_address_validation)
    out.emplace(std::chrono::duration_cast<duration>(cfg.address_token_lifetime),
                std::chrono::duration_cast<duration>(cfg.new_token_lifetime));
}

void send_new_token(const std::optional<core::retry_validator>& validator, core::connection& c, time_point t) {
  if (!validator || validator->new_token_lifetime() <= duration::zero() || c.is_client()) return;
  std::array<std::byte, core::new_token_length> token{};
  // Best effort: without a token the client's next connection takes a Retry.
  if (!validator->write_new_token(c.peer_address(), t, token)) (void)c.send_new_token(token);
}

bool endpoint_impl::admit_initial(const wire::decoded_header& h, const asio::ip::udp::endpoint& from, time_point t,
                                  std::optional<wire::connection_id>& original_dcid, bool& validated) {
  original_dcid.reset();
  validated = false;
  if (!retry_validator_) return true;
  const auto peer = to_core(from);
  wire::connection_id odcid;
  switch (retry_validator_->admit(h.header, peer, t, odcid)) {
  case core::initial_admission::accept_after_retry: original_dcid = odcid; return true;
  case core::initial_admission::accept_validated: validated = true; return true;
  case core::initial_admission::drop: ++datagrams_dropped_; return false;
  case core::initial_admission::send_retry: break;
  }
  // No usable token: answer with a Retry, unless the send batch has no room
  // (the client's retransmitted Initial gets the next chance).
  if (tx_blocked_ || !open_) {
    ++datagrams_dropped_;
    return false;
  }
  if (tx_.size() == cfg_.io_batch) submit();
  if (tx_blocked_ || tx_.size() == cfg_.io_batch) {
    ++datagrams_dropped_;
    return false;
  }
  std::span<std::byte> slot(tx_storage_.data() + tx_.size() * tx_slot_size_, tx_slot_size_);
  std::error_code ec;
  const std::size_t n =
      retry_validator_->write_retry(h.header, peer, core_cfg_.connection_id_length, rng_, t, slot, ec);
  if (ec || n == 0 || n > h.packet_length) {
    ++datagrams_dropped_;
    return false;
  }
  tx_.push_back(io::tx_datagram{slot.first(n), from, io::ecn_codepoint::not_ect});
  ++retries_sent_;
  return false;
}

} // namespace tern::detail
