// STUN message codec (RFC 8489 §5, §14).
//
// decode() makes a single pass over the attributes. Framing is checked for
// every attribute (a value never runs past the message, each attribute is
// padded to 4 bytes inside the declared length); values are checked for the
// attributes tern understands, first occurrence only (§14: later duplicates
// may be ignored). Attributes after MESSAGE-INTEGRITY are framed but
// otherwise ignored, except MESSAGE-INTEGRITY-SHA256 and FINGERPRINT (§14.5,
// §14.6); FINGERPRINT must be last (§14.7) and is verified here because it
// needs no key. Nothing is copied: the result points into the datagram.
#include "stun/message.hpp"

#include "stun/crc32.hpp"
#include "stun/hmac.hpp"

#include <algorithm>
#include <cstring>

namespace tern::stun {

namespace {

constexpr std::size_t max_text_decode = 763; // 127 characters of up to 6 bytes, §14.9/§14.8
constexpr std::size_t max_text_encode = 509;
constexpr std::size_t max_username_decode = 512; // RFC 5389's limit; RFC 8489 lowered it to 508
constexpr std::size_t max_username_encode = 508;

std::uint16_t read_u16(const std::byte* p) noexcept {
  return static_cast<std::uint16_t>((std::to_integer<unsigned>(p[0]) << 8) | std::to_integer<unsigned>(p[1]));
}
std::uint32_t read_u32(const std::byte* p) noexcept {
  return (std::uint32_t{read_u16(p)} << 16) | read_u16(p + 2);
}
void write_u16(std::byte* p, std::uint16_t v) noexcept {
  p[0] = static_cast<std::byte>(v >> 8);
  p[1] = static_cast<std::byte>(v & 0xff);
}
void write_u32(std::byte* p, std::uint32_t v) noexcept {
  write_u16(p, static_cast<std::uint16_t>(v >> 16));
  write_u16(p + 2, static_cast<std::uint16_t>(v & 0xffff));
}
constexpr std::size_t padded(std::size_t n) noexcept { return (n + 3) & ~std::size_t{3}; }

std::string_view as_text(std::span<const std::byte> v) noexcept {
  return {reinterpret_cast<const char*>(v.data()), v.size()};
}

// The XOR pad for XOR-MAPPED-ADDRESS: the magic cookie, then the transaction ID.
std::array<std::uint8_t, 16> xor_pad(const transaction_id& id) noexcept {
  std::array<std::uint8_t, 16> pad{0x21, 0x12, 0xA4, 0x42};
  for (std::size_t i = 0; i < id.size(); ++i) pad[4 + i] = std::to_integer<std::uint8_t>(id[i]);
  return pad;
}

std::error_code decode_address(std::span<const std::byte> v, bool xored, const transaction_id& id,
                               transport_address& out) noexcept {
  if (v.size() < 4) return stun_errc::bad_attribute_length;
  const auto family = std::to_integer<std::uint8_t>(v[1]);
  std::size_t ip_size = 0;
  if (family == static_cast<std::uint8_t>(address_family::ipv4)) {
    ip_size = 4;
    out.family = address_family::ipv4;
  } else if (family == static_cast<std::uint8_t>(address_family::ipv6)) {
    ip_size = 16;
    out.family = address_family::ipv6;
  } else {
    return stun_errc::bad_address_family;
  }
  if (v.size() != 4 + ip_size) return stun_errc::bad_attribute_length;
  out.port = read_u16(v.data() + 2);
  out.ip = {};
  for (std::size_t i = 0; i < ip_size; ++i) out.ip[i] = std::to_integer<std::uint8_t>(v[4 + i]);
  if (xored) {
    out.port ^= static_cast<std::uint16_t>(magic_cookie >> 16);
    const auto pad = xor_pad(id);
    for (std::size_t i = 0; i < ip_size; ++i) out.ip[i] ^= pad[i];
  }
  return {};
}

std::error_code decode_text(std::span<const std::byte> v, std::size_t limit,
                            std::optional<std::string_view>& out) noexcept {
  if (v.size() > limit) return stun_errc::value_too_long;
  out = as_text(v);
  return {};
}

std::error_code decode_error_code(std::span<const std::byte> v,
                                  std::optional<error_code_attribute>& out) noexcept {
  if (v.size() < 4) return stun_errc::bad_attribute_length;
  if (v.size() - 4 > max_text_decode) return stun_errc::value_too_long;
  // The 21 reserved bits are ignored on receipt; class is 3 bits, number 8.
  const int cls = std::to_integer<int>(v[2]) & 0x07;
  const int number = std::to_integer<int>(v[3]);
  if (cls < 3 || cls > 6 || number > 99) return stun_errc::bad_error_code;
  out = error_code_attribute{cls * 100 + number, as_text(v.subspan(4))};
  return {};
}

bool understood(std::uint16_t type) noexcept {
  switch (type) {
  case attr::mapped_address:
  case attr::username:
  case attr::message_integrity:
  case attr::error_code:
  case attr::unknown_attributes:
  case attr::realm:
  case attr::nonce:
  case attr::message_integrity_sha256:
  case attr::xor_mapped_address:
    return true;
  default:
    return false;
  }
}

void note_unknown(message& m, std::uint16_t type) noexcept {
  const auto known = m.unknown_comprehension_required();
  if (std::find(known.begin(), known.end(), type) != known.end()) return;
  if (m.unknown_required_count < message::max_unknown) m.unknown_required[m.unknown_required_count++] = type;
}

} // namespace

attribute_iterator::attribute_iterator(std::span<const std::byte> message, std::size_t offset) noexcept
    : message_(message), offset_(offset) {
  load();
}

void attribute_iterator::load() noexcept {
  if (offset_ + 4 > message_.size()) {
    offset_ = message_.size();
    current_ = {};
    return;
  }
  const std::uint16_t length = read_u16(message_.data() + offset_ + 2);
  if (padded(length) > message_.size() - offset_ - 4) {
    offset_ = message_.size();
    current_ = {};
    return;
  }
  current_ = {read_u16(message_.data() + offset_), message_.subspan(offset_ + 4, length)};
}

attribute_iterator& attribute_iterator::operator++() noexcept {
  if (offset_ < message_.size()) {
    offset_ += 4 + padded(current_.value.size());
    load();
  }
  return *this;
}

std::size_t message::unknown_attribute_count() const noexcept {
  return unknown_attributes ? unknown_attributes->size() / 2 : 0;
}

std::uint16_t message::unknown_attribute(std::size_t i) const noexcept {
  if (i >= unknown_attribute_count()) return 0;
  return read_u16(unknown_attributes->data() + 2 * i);
}

std::error_code decode_header(std::span<const std::byte> datagram, message& out,
                              const decode_options& options) noexcept {
  out = message{};
  if (datagram.size() < header_size) return stun_errc::truncated;
  const std::byte* p = datagram.data();
  if ((std::to_integer<unsigned>(p[0]) & 0xC0U) != 0) return stun_errc::not_stun;
  const std::uint16_t type = read_u16(p);
  const std::uint16_t length = read_u16(p + 2);
  const bool has_cookie = read_u32(p + 4) == magic_cookie;
  if (!has_cookie && !options.accept_rfc3489) return stun_errc::bad_magic_cookie;
  if (length % 4 != 0) return stun_errc::bad_length;
  if (std::size_t{length} + header_size != datagram.size()) return stun_errc::length_mismatch;
  out.bytes = datagram;
  out.method = method_of(type);
  out.cls = class_of(type);
  out.rfc3489 = !has_cookie;
  std::memcpy(out.cookie.data(), p + 4, 4);
  std::memcpy(out.id.data(), p + 8, 12);
  return {};
}

std::error_code decode(std::span<const std::byte> datagram, message& out,
                       const decode_options& options) noexcept {
  if (auto ec = decode_header(datagram, out, options)) return ec;
  bool after_integrity = false; // past MESSAGE-INTEGRITY or MESSAGE-INTEGRITY-SHA256
  std::size_t pos = header_size;
  while (pos < datagram.size()) {
    if (datagram.size() - pos < 4) return stun_errc::attribute_overrun;
    const std::uint16_t type = read_u16(datagram.data() + pos);
    const std::uint16_t length = read_u16(datagram.data() + pos + 2);
    if (padded(length) > datagram.size() - pos - 4) return stun_errc::attribute_overrun;
    if (out.fingerprint_offset != 0) return stun_errc::fingerprint_not_last;
    const auto value = datagram.subspan(pos + 4, length);
    std::error_code ec;
    switch (type) {
    case attr::fingerprint:
      if (length != 4) return stun_errc::bad_attribute_length;
      out.fingerprint_offset = pos;
      break;
    case attr::message_integrity_sha256:
      if (out.integrity_sha256_offset == 0) {
        if (length < 16 || length > 32 || length % 4 != 0) return stun_errc::bad_attribute_length;
        out.integrity_sha256_offset = pos;
        after_integrity = true;
      }
      break;
    case attr::message_integrity:
      // After MESSAGE-INTEGRITY-SHA256 only FINGERPRINT counts (§14.6).
      if (!after_integrity) {
        if (length != 20) return stun_errc::bad_attribute_length;
        out.integrity_offset = pos;
        after_integrity = true;
      }
      break;
    default:
      if (after_integrity) break;
      switch (type) {
      case attr::xor_mapped_address:
        if (!out.xor_mapped_address)
          ec = decode_address(value, true, out.id, out.xor_mapped_address.emplace());
        break;
      case attr::mapped_address:
        if (!out.mapped_address) ec = decode_address(value, false, out.id, out.mapped_address.emplace());
        break;
      case attr::username:
        if (!out.username) ec = decode_text(value, max_username_decode, out.username);
        break;
      case attr::realm:
        if (!out.realm) ec = decode_text(value, max_text_decode, out.realm);
        break;
      case attr::nonce:
        if (!out.nonce) ec = decode_text(value, max_text_decode, out.nonce);
        break;
      case attr::software:
        if (!out.software) ec = decode_text(value, max_text_decode, out.software);
        break;
      case attr::error_code:
        if (!out.error) ec = decode_error_code(value, out.error);
        break;
      case attr::unknown_attributes:
        if (length % 2 != 0) return stun_errc::bad_attribute_length;
        if (!out.unknown_attributes) out.unknown_attributes = value;
        break;
      default:
        if (is_comprehension_required(type) && !understood(type)) note_unknown(out, type);
        break;
      }
    }
    if (ec) return ec;
    pos += 4 + padded(length);
  }
  if (out.fingerprint_offset != 0 && !out.rfc3489) {
    const std::size_t at = out.fingerprint_offset;
    const std::uint32_t expected = crc32(datagram.first(at)) ^ fingerprint_xor;
    if (read_u32(datagram.data() + at + 4) != expected) return stun_errc::fingerprint_mismatch;
  }
  return {};
}

message_writer::message_writer(std::span<std::byte> buffer, std::uint16_t method, message_class cls,
                               const transaction_id& id) noexcept
    : buffer_(buffer) {
  if (buffer_.size() < header_size) {
    fail(stun_errc::buffer_too_small);
    return;
  }
  std::byte* p = buffer_.data();
  write_u16(p, make_message_type(method, cls));
  write_u16(p + 2, 0);
  write_u32(p + 4, magic_cookie);
  std::memcpy(p + 8, id.data(), id.size());
  size_ = header_size;
}

void message_writer::set_cookie_field(const std::array<std::byte, 4>& field) noexcept {
  if (!error_) std::memcpy(buffer_.data() + 4, field.data(), 4);
}

void message_writer::set_length(std::size_t body) noexcept {
  write_u16(buffer_.data() + 2, static_cast<std::uint16_t>(body));
}

std::byte* message_writer::reserve(std::uint16_t type, std::size_t length) noexcept {
  if (error_) return nullptr;
  if (length > 0xFFFF) {
    fail(stun_errc::value_too_long);
    return nullptr;
  }
  const std::size_t total = 4 + padded(length);
  // The message length field is 16 bits as well.
  if (total > buffer_.size() - size_ || size_ + total - header_size > 0xFFFF) {
    fail(stun_errc::buffer_too_small);
    return nullptr;
  }
  std::byte* p = buffer_.data() + size_;
  write_u16(p, type);
  write_u16(p + 2, static_cast<std::uint16_t>(length));
  std::fill(p + 4 + length, p + total, padding_);
  size_ += total;
  set_length(size_ - header_size);
  return p + 4;
}

void message_writer::add(std::uint16_t type, std::span<const std::byte> value) noexcept {
  if (std::byte* p = reserve(type, value.size()); p != nullptr && !value.empty())
    std::memcpy(p, value.data(), value.size());
}

void message_writer::add_text(std::uint16_t type, std::string_view text) noexcept {
  const std::size_t limit = type == attr::username ? max_username_encode : max_text_encode;
  if (text.size() > limit) {
    fail(stun_errc::value_too_long);
    return;
  }
  add(type, std::as_bytes(std::span{text.data(), text.size()}));
}

void message_writer::add_mapped_address(const transport_address& a) noexcept {
  const auto ip = a.ip_bytes();
  std::byte* p = reserve(attr::mapped_address, 4 + ip.size());
  if (p == nullptr) return;
  p[0] = std::byte{0};
  p[1] = static_cast<std::byte>(a.family);
  write_u16(p + 2, a.port);
  for (std::size_t i = 0; i < ip.size(); ++i) p[4 + i] = static_cast<std::byte>(ip[i]);
}

void message_writer::add_xor_mapped_address(const transport_address& a) noexcept {
  if (error_) return;
  transaction_id id;
  std::memcpy(id.data(), buffer_.data() + 8, id.size());
  const auto pad = xor_pad(id);
  const auto ip = a.ip_bytes();
  std::byte* p = reserve(attr::xor_mapped_address, 4 + ip.size());
  if (p == nullptr) return;
  p[0] = std::byte{0};
  p[1] = static_cast<std::byte>(a.family);
  write_u16(p + 2, static_cast<std::uint16_t>(a.port ^ (magic_cookie >> 16)));
  for (std::size_t i = 0; i < ip.size(); ++i) p[4 + i] = static_cast<std::byte>(ip[i] ^ pad[i]);
}

void message_writer::add_error_code(int code, std::string_view reason) noexcept {
  if (code < 300 || code > 699) {
    fail(stun_errc::bad_error_code);
    return;
  }
  if (reason.size() > max_text_encode) {
    fail(stun_errc::value_too_long);
    return;
  }
  std::byte* p = reserve(attr::error_code, 4 + reason.size());
  if (p == nullptr) return;
  p[0] = std::byte{0};
  p[1] = std::byte{0};
  p[2] = static_cast<std::byte>(code / 100);
  p[3] = static_cast<std::byte>(code % 100);
  if (!reason.empty()) std::memcpy(p + 4, reason.data(), reason.size());
}

void message_writer::add_unknown_attributes(std::span<const std::uint16_t> types) noexcept {
  std::byte* p = reserve(attr::unknown_attributes, 2 * types.size());
  if (p == nullptr) return;
  for (std::size_t i = 0; i < types.size(); ++i) write_u16(p + 2 * i, types[i]);
}

void message_writer::add_message_integrity(std::span<const std::byte> key) noexcept {
  // The HMAC covers the message up to the attribute, with the header length
  // already counting the attribute (§14.5): reserve first, then hash.
  const std::size_t at = size_;
  std::byte* p = reserve(attr::message_integrity, 20);
  if (p == nullptr) return;
  if (!hmac(hmac_algorithm::sha1, key, {buffer_.first(at)}, std::span{p, 20}))
    fail(stun_errc::crypto_failure);
}

void message_writer::add_message_integrity_sha256(std::span<const std::byte> key,
                                                  std::size_t length) noexcept {
  if (length < 16 || length > 32 || length % 4 != 0) {
    fail(stun_errc::bad_attribute_length);
    return;
  }
  const std::size_t at = size_;
  std::byte* p = reserve(attr::message_integrity_sha256, length);
  if (p == nullptr) return;
  std::array<std::byte, 32> full{};
  if (!hmac(hmac_algorithm::sha256, key, {buffer_.first(at)}, full)) {
    fail(stun_errc::crypto_failure);
    return;
  }
  std::memcpy(p, full.data(), length);
}

void message_writer::add_fingerprint() noexcept {
  const std::size_t at = size_;
  std::byte* p = reserve(attr::fingerprint, 4);
  if (p == nullptr) return;
  write_u32(p, crc32(buffer_.first(at)) ^ fingerprint_xor);
}

} // namespace tern::stun
