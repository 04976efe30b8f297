// Binding responder (RFC 8489 §6.3, §7.3.1, §9.1.3, §12.2).
//
// The order of checks follows the RFC: basic header checks (silent drop),
// then full decoding (400 for malformed attributes, silent drop for a bad
// FINGERPRINT since that is a basic check too), then short-term
// authentication (400/401, without MESSAGE-INTEGRITY since the key is not
// established), then comprehension-required attributes (420), then the
// success response. Error responses to an authenticated request carry
// MESSAGE-INTEGRITY like success responses do.
#include "stun/binding_responder.hpp"

#include "stun/integrity.hpp"

namespace tern::stun {

namespace {

// Reason phrases from RFC 8489 §14.8.
constexpr std::string_view bad_request = "Bad Request";
constexpr std::string_view unauthenticated = "Unauthenticated";
constexpr std::string_view unknown_attribute = "Unknown Attribute";

responder_result discard(std::error_code why) noexcept {
  responder_result r;
  r.what = responder_result::action::discard;
  r.reason = why;
  return r;
}

} // namespace

binding_responder::binding_responder(responder_options options) : options_(std::move(options)) {}

responder_result binding_responder::error_reply(const message& request, int code, std::string_view reason,
                                                std::span<const std::uint16_t> unknown, bool authenticated,
                                                std::span<std::byte> out) const noexcept {
  message_writer w{out, method::binding, message_class::error_response, request.id};
  if (request.rfc3489) w.set_cookie_field(request.cookie);
  w.add_error_code(code, reason);
  if (!unknown.empty()) w.add_unknown_attributes(unknown);
  if (!options_.software.empty()) w.add_text(attr::software, options_.software);
  if (authenticated && options_.credentials) {
    if (request.integrity_sha256_offset != 0)
      w.add_message_integrity_sha256(options_.credentials->key);
    else
      w.add_message_integrity(options_.credentials->key);
  }
  if (options_.fingerprint && !request.rfc3489) w.add_fingerprint();
  if (w.error()) return discard(w.error());
  responder_result r;
  r.what = responder_result::action::reply;
  r.reply = w.bytes();
  r.error_code = code;
  return r;
}

responder_result binding_responder::handle(std::span<const std::byte> datagram,
                                           const transport_address& source,
                                           std::span<std::byte> out) const noexcept {
  const decode_options decoding{.accept_rfc3489 = options_.accept_rfc3489};
  message m;
  if (auto ec = decode_header(datagram, m, decoding)) return discard(ec);
  if (m.method != method::binding) return discard(stun_errc::unsupported_method);
  // A classic (RFC 3489) agent only ever sent Binding requests; without a
  // cookie anything else is more likely not STUN at all.
  if (m.rfc3489 && m.cls != message_class::request) return discard(stun_errc::bad_magic_cookie);
  if (m.cls != message_class::request) {
    responder_result r;
    r.what = responder_result::action::ignore;
    return r;
  }

  if (auto ec = decode(datagram, m, decoding)) {
    if (is_header_error(ec)) return discard(ec);
    return error_reply(m, 400, bad_request, {}, false, out);
  }

  bool authenticated = false;
  if (const auto& c = options_.credentials) {
    const bool has_integrity = m.integrity_offset != 0 || m.integrity_sha256_offset != 0;
    if (!has_integrity || !m.username) return error_reply(m, 400, bad_request, {}, false, out);
    if (*m.username != c->username) return error_reply(m, 401, unauthenticated, {}, false, out);
    if (verify_integrity(m, c->key)) return error_reply(m, 401, unauthenticated, {}, false, out);
    authenticated = true;
  }

  if (const auto unknown = m.unknown_comprehension_required(); !unknown.empty())
    return error_reply(m, 420, unknown_attribute, unknown, authenticated, out);

  message_writer w{out, method::binding, message_class::success_response, m.id};
  if (m.rfc3489) {
    w.set_cookie_field(m.cookie);
    w.add_mapped_address(source);
  } else {
    w.add_xor_mapped_address(source);
  }
  if (!options_.software.empty()) w.add_text(attr::software, options_.software);
  if (authenticated) {
    if (m.integrity_sha256_offset != 0)
      w.add_message_integrity_sha256(options_.credentials->key);
    else
      w.add_message_integrity(options_.credentials->key);
  }
  if (options_.fingerprint && !m.rfc3489) w.add_fingerprint();
  if (w.error()) return discard(w.error());
  responder_result r;
  r.what = responder_result::action::reply;
  r.reply = w.bytes();
  return r;
}

} // namespace tern::stun
