// Binding client transaction (RFC 8489 §6.2.1 and §7.3).
//
// Schedule: the request goes out, then after RTO, 2*RTO, 4*RTO, ... until Rc
// requests are out; after the last one the client waits Rm*RTO (the initial
// RTO, as in the RFC's worked example) and gives up.
//
// Response handling follows §6.3 and §7.3.3/§7.3.4: only success/error
// responses of the Binding method with our transaction ID are ours;
// anything that fails validation or the short-term integrity check is
// dropped as if never received, so retransmissions go on. A response
// carrying unknown comprehension-required attributes fails the
// transaction, except for the RFC 3489 attributes that §12.1 tells clients
// to ignore (RESPONSE-ADDRESS, SOURCE-ADDRESS, CHANGED-ADDRESS,
// REFLECTED-FROM), which classic servers such as stund still send.
#include "stun/binding_transaction.hpp"

#include "stun/integrity.hpp"

namespace tern::stun {

namespace {

bool ignorable_rfc3489_attribute(std::uint16_t type) noexcept {
  return type == attr::response_address || type == attr::source_address || type == attr::changed_address ||
         type == attr::reflected_from;
}

} // namespace

binding_transaction::binding_transaction(const transaction_id& id, const binding_options& options)
    : id_(id), options_(options), rto_(options.initial_rto) {
  if (options_.max_requests == 0) options_.max_requests = 1;
  message_writer w{request_, method::binding, message_class::request, id_};
  if (!options_.software.empty()) w.add_text(attr::software, options_.software);
  if (const auto& c = options_.credentials) {
    w.add_text(attr::username, c->username);
    if (c->sha256)
      w.add_message_integrity_sha256(c->key);
    else
      w.add_message_integrity(c->key);
  }
  if (options_.fingerprint) w.add_fingerprint();
  if (w.error()) {
    state_ = state::failed;
    error_ = w.error();
    transmit_due_ = false;
    return;
  }
  request_size_ = w.size();
}

std::span<const std::byte> binding_transaction::poll_transmit(time_point now) noexcept {
  if (!transmit_due_ || done()) return {};
  transmit_due_ = false;
  ++sent_;
  if (sent_ >= options_.max_requests) {
    deadline_ = now + options_.initial_rto * options_.last_wait_factor;
  } else {
    deadline_ = now + rto_;
    rto_ *= 2;
  }
  return request();
}

void binding_transaction::on_timeout(time_point now) noexcept {
  if (done() || transmit_due_ || now < deadline_) return;
  deadline_ = never;
  if (sent_ >= options_.max_requests)
    fail(stun_errc::timeout);
  else
    transmit_due_ = true;
}

void binding_transaction::fail(stun_errc e) noexcept {
  state_ = state::failed;
  error_ = make_error_code(e);
  deadline_ = never;
  transmit_due_ = false;
}

bool binding_transaction::on_response(std::span<const std::byte> datagram, time_point) noexcept {
  message m;
  if (decode_header(datagram, m)) return false;
  if (m.method != method::binding || m.id != id_ ||
      (m.cls != message_class::success_response && m.cls != message_class::error_response))
    return false;
  if (done()) return true; // a late duplicate; the first response decided
  if (decode(datagram, m)) return true;
  if (const auto& c = options_.credentials; c && verify_integrity(m, c->key)) return true;

  for (const std::uint16_t type : m.unknown_comprehension_required()) {
    if (!ignorable_rfc3489_attribute(type)) {
      fail(stun_errc::unknown_comprehension_required);
      return true;
    }
  }
  // Copying strings here is fine: a transaction completes once.
  try {
    if (m.software) server_software_.assign(*m.software);
    if (m.cls == message_class::error_response) {
      if (m.error) {
        error_code_ = m.error->code;
        error_reason_.assign(m.error->reason);
      }
      for (std::size_t i = 0; i < m.unknown_attribute_count(); ++i)
        unknown_.push_back(m.unknown_attribute(i));
    }
  } catch (...) {
    // Out of memory while copying diagnostics: the outcome below still holds.
  }
  if (m.cls == message_class::error_response) {
    fail(stun_errc::error_response);
    return true;
  }
  if (m.xor_mapped_address) {
    mapped_ = m.xor_mapped_address;
  } else if (m.mapped_address) {
    mapped_ = m.mapped_address;
    legacy_mapped_ = true;
  } else {
    fail(stun_errc::missing_mapped_address);
    return true;
  }
  state_ = state::succeeded;
  deadline_ = never;
  transmit_due_ = false;
  return true;
}

} // namespace tern::stun
