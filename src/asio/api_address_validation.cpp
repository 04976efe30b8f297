// The endpoint's pre-connection check (config::require_address_validation,
// docs/protocol.md §9.4): an Initial must carry a token from one of our
// Retries, bound to its source address, before it may create state. An
// Initial without one is answered with a Retry, at most one per Initial and
// smaller than it, so a spoofed source gains no amplification; an Initial
// with a bad or expired token is dropped (its client already had its one
// Retry, RFC 9000 §8.1.2).

#include "asio/api_impl.hpp"

namespace tern::detail {

bool endpoint_impl::admit_initial(const wire::decoded_header& h, const asio::ip::udp::endpoint& from, time_point t,
                                  std::optional<wire::connection_id>& original_dcid) {
  original_dcid.reset();
  if (!retry_validator_) return true;
  const auto peer = to_core(from);
  if (!h.header.token.empty()) {
    wire::connection_id odcid;
    if (retry_validator_->validate(h.header, peer, t, odcid)) {
      ++datagrams_dropped_;
      return false;
    }
    original_dcid = odcid;
    return true;
  }
  // No token: answer with a Retry, unless the send batch has no room (the
  // client's retransmitted Initial gets the next chance).
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
