#pragma once

#include "stun/address.hpp"
#include "stun/errc.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <span>
#include <string_view>
#include <system_error>

namespace tern::stun {

inline constexpr std::uint32_t magic_cookie = 0x2112A442;
inline constexpr std::size_t header_size = 20;
/// FINGERPRINT is CRC-32 XOR this value ("STUN" in ASCII), RFC 8489 §14.7.
inline constexpr std::uint32_t fingerprint_xor = 0x5354554e;

/// The 96-bit transaction ID. RFC 8489 §6 wants it cryptographically random;
/// random_transaction_id() (transaction_id.hpp) draws one from OpenSSL.
using transaction_id = std::array<std::byte, 12>;

enum class message_class : std::uint8_t {
  request = 0b00,
  indication = 0b01,
  success_response = 0b10,
  error_response = 0b11,
};

namespace method {
inline constexpr std::uint16_t binding = 0x001;
} // namespace method

/// Attribute types (RFC 8489 §18.3, plus the RFC 3489 ones that old servers
/// still send and RFC 5780's CHANGE-REQUEST).
namespace attr {
inline constexpr std::uint16_t mapped_address = 0x0001;
inline constexpr std::uint16_t response_address = 0x0002; // RFC 3489, reserved since RFC 5389
inline constexpr std::uint16_t change_request = 0x0003;   // RFC 5780
inline constexpr std::uint16_t source_address = 0x0004;   // RFC 3489, reserved since RFC 5389
inline constexpr std::uint16_t changed_address = 0x0005;  // RFC 3489, reserved since RFC 5389
inline constexpr std::uint16_t username = 0x0006;
inline constexpr std::uint16_t message_integrity = 0x0008;
inline constexpr std::uint16_t error_code = 0x0009;
inline constexpr std::uint16_t unknown_attributes = 0x000A;
inline constexpr std::uint16_t reflected_from = 0x000B; // RFC 3489, reserved since RFC 5389
inline constexpr std::uint16_t realm = 0x0014;
inline constexpr std::uint16_t nonce = 0x0015;
inline constexpr std::uint16_t message_integrity_sha256 = 0x001C;
inline constexpr std::uint16_t xor_mapped_address = 0x0020;
inline constexpr std::uint16_t software = 0x8022;
inline constexpr std::uint16_t alternate_server = 0x8023;
inline constexpr std::uint16_t fingerprint = 0x8028;
} // namespace attr

/// 0x0000-0x7FFF: an agent that does not understand the attribute cannot
/// process the message (RFC 8489 §14).
constexpr bool is_comprehension_required(std::uint16_t type) noexcept { return type < 0x8000; }

/// The 14-bit message type with the method and class bits interleaved
/// (RFC 8489 §5, figure 3). `method` must fit in 12 bits.
constexpr std::uint16_t make_message_type(std::uint16_t method, message_class cls) noexcept {
  const auto c = static_cast<std::uint16_t>(cls);
  return static_cast<std::uint16_t>((method & 0x000F) | ((method & 0x0070) << 1) | ((method & 0x0F80) << 2) |
                                    ((c & 0x1) << 4) | ((c & 0x2) << 7));
}
constexpr std::uint16_t method_of(std::uint16_t type) noexcept {
  return static_cast<std::uint16_t>((type & 0x000F) | ((type & 0x00E0) >> 1) | ((type & 0x3E00) >> 2));
}
constexpr message_class class_of(std::uint16_t type) noexcept {
  return static_cast<message_class>(((type >> 4) & 0x1) | ((type >> 7) & 0x2));
}

/// One attribute as it appears in a message: its type and its value without
/// padding. The value points into the decoded datagram.
struct attribute {
  std::uint16_t type = 0;
  std::span<const std::byte> value;
};

/// Walks the attributes of a message that decode() accepted. Never reads
/// past the message: on a message decode() did not accept it simply stops.
class attribute_iterator {
public:
  using iterator_category = std::forward_iterator_tag;
  using value_type = attribute;
  using difference_type = std::ptrdiff_t;
  using pointer = const attribute*;
  using reference = const attribute&;

  attribute_iterator() = default;
  attribute_iterator(std::span<const std::byte> message, std::size_t offset) noexcept;

  const attribute& operator*() const noexcept { return current_; }
  const attribute* operator->() const noexcept { return &current_; }
  attribute_iterator& operator++() noexcept;
  attribute_iterator operator++(int) noexcept {
    auto copy = *this;
    ++*this;
    return copy;
  }
  /// Offset of the current attribute's header from the start of the message.
  std::size_t offset() const noexcept { return offset_; }
  friend bool operator==(const attribute_iterator& a, const attribute_iterator& b) noexcept {
    return a.offset_ == b.offset_;
  }

private:
  void load() noexcept;
  std::span<const std::byte> message_;
  std::size_t offset_ = 0;
  attribute current_;
};

/// ERROR-CODE (RFC 8489 §14.8): code is class * 100 + number, 300-699.
struct error_code_attribute {
  int code = 0;
  std::string_view reason;
};

struct decode_options {
  /// Accept messages without the magic cookie (RFC 3489 "classic STUN", RFC
  /// 8489 §12). Only a stand-alone server wants this: on a multiplexed
  /// socket a missing cookie is the best sign that a datagram is not STUN.
  bool accept_rfc3489 = false;
};

/// A decoded STUN message. All views (bytes, strings, attribute values)
/// point into the datagram handed to decode(): keep it alive while using
/// the message.
struct message {
  /// The most comprehension-required attribute types a message records as
  /// unknown; a 420 response lists at most these.
  static constexpr std::size_t max_unknown = 16;

  std::span<const std::byte> bytes;
  std::uint16_t method = 0;
  message_class cls = message_class::request;
  transaction_id id{};
  /// The four bytes at the magic-cookie position: the cookie, or for RFC
  /// 3489 messages the first part of their 128-bit transaction ID.
  std::array<std::byte, 4> cookie{};
  bool rfc3489 = false;

  // First occurrences of the attributes tern understands, all before
  // MESSAGE-INTEGRITY (RFC 8489 §14.5: later ones are ignored).
  std::optional<transport_address> xor_mapped_address;
  std::optional<transport_address> mapped_address;
  std::optional<std::string_view> username;
  std::optional<std::string_view> realm;
  std::optional<std::string_view> nonce;
  std::optional<std::string_view> software;
  std::optional<error_code_attribute> error;
  /// The raw UNKNOWN-ATTRIBUTES value (a list of 16-bit types), if present.
  std::optional<std::span<const std::byte>> unknown_attributes;

  /// Offsets of the attribute headers from the start of the message, 0 when
  /// the attribute is absent.
  std::size_t integrity_offset = 0;
  std::size_t integrity_sha256_offset = 0;
  std::size_t fingerprint_offset = 0;

  std::array<std::uint16_t, max_unknown> unknown_required{};
  std::size_t unknown_required_count = 0;

  /// Every attribute of the message in order, including ignored ones.
  attribute_iterator begin() const noexcept { return {bytes, header_size}; }
  attribute_iterator end() const noexcept { return {bytes, bytes.size()}; }

  /// The comprehension-required attribute types before MESSAGE-INTEGRITY
  /// that tern does not understand, each type once, in order of appearance.
  std::span<const std::uint16_t> unknown_comprehension_required() const noexcept {
    return {unknown_required.data(), unknown_required_count};
  }
  /// Number of types listed in UNKNOWN-ATTRIBUTES, and the i-th of them.
  std::size_t unknown_attribute_count() const noexcept;
  std::uint16_t unknown_attribute(std::size_t i) const noexcept;
};

/// Checks and reads the 20-byte header only (RFC 8489 §6.3 basic checks):
/// the two leading zero bits, the magic cookie, a length that is a multiple
/// of 4 and matches the datagram. Fills bytes, method, cls, id, cookie,
/// rfc3489. Errors: truncated, not_stun, bad_magic_cookie, bad_length,
/// length_mismatch.
std::error_code decode_header(std::span<const std::byte> datagram, message& out,
                              const decode_options& options = {}) noexcept;

/// Decodes and validates a whole message: the header as decode_header(),
/// then every attribute's framing (each within the message, padded to 4
/// bytes; padding contents are ignored as RFC 8489 §14 requires), the
/// values of the attributes tern understands, FINGERPRINT placement and
/// value. MESSAGE-INTEGRITY needs a key and is checked by
/// verify_integrity() (integrity.hpp). Unknown comprehension-required
/// attributes are not an error here; they are listed in the message for the
/// caller to act on (a server answers 420, a client fails the transaction).
///
/// Errors: those of decode_header, then attribute_overrun,
/// bad_attribute_length, bad_address_family, bad_error_code, value_too_long,
/// fingerprint_not_last, fingerprint_mismatch. On an attribute error the
/// header fields of `out` are still valid (a server may answer 400).
std::error_code decode(std::span<const std::byte> datagram, message& out,
                       const decode_options& options = {}) noexcept;

/// Builds one message into a caller-provided buffer, without allocating.
/// Errors are sticky: after the first failure (buffer_too_small,
/// value_too_long) later calls do nothing and bytes() is empty, so a
/// sequence of add_* calls needs one check at the end.
class message_writer {
public:
  /// Starts a message with an empty attribute list.
  message_writer(std::span<std::byte> buffer, std::uint16_t method, message_class cls,
                 const transaction_id& id) noexcept;

  /// Puts `field` where the magic cookie goes: only for answering an RFC
  /// 3489 client, which expects its 128-bit transaction ID echoed.
  void set_cookie_field(const std::array<std::byte, 4>& field) noexcept;
  /// The byte used to pad attribute values to 4 bytes (0 by default; RFC
  /// 8489 lets it be anything, RFC 5769's samples use 0x20).
  void set_padding(std::byte padding) noexcept { padding_ = padding; }

  /// Appends an attribute with a raw value (at most 65535 bytes).
  void add(std::uint16_t type, std::span<const std::byte> value) noexcept;
  /// Text attributes: USERNAME (< 509 bytes), SOFTWARE, REALM, NONCE (<= 509 bytes).
  void add_text(std::uint16_t type, std::string_view text) noexcept;
  void add_mapped_address(const transport_address& address) noexcept;
  void add_xor_mapped_address(const transport_address& address) noexcept;
  /// ERROR-CODE: `code` in 300-699, reason phrase <= 509 bytes.
  void add_error_code(int code, std::string_view reason) noexcept;
  void add_unknown_attributes(std::span<const std::uint16_t> types) noexcept;
  /// MESSAGE-INTEGRITY (HMAC-SHA1, RFC 8489 §14.5) over everything so far.
  /// For short-term credentials the key is the password after OpaqueString
  /// (RFC 8265) preparation; for plain ASCII that is the password itself.
  void add_message_integrity(std::span<const std::byte> key) noexcept;
  /// MESSAGE-INTEGRITY-SHA256 (RFC 8489 §14.6), truncated to `length` bytes
  /// (16-32, a multiple of 4).
  void add_message_integrity_sha256(std::span<const std::byte> key, std::size_t length = 32) noexcept;
  /// FINGERPRINT; must be the last attribute added.
  void add_fingerprint() noexcept;

  std::error_code error() const noexcept { return error_; }
  std::size_t size() const noexcept { return error_ ? 0 : size_; }
  /// The finished message, or empty after an error.
  std::span<const std::byte> bytes() const noexcept { return buffer_.first(size()); }

private:
  std::byte* reserve(std::uint16_t type, std::size_t length) noexcept;
  void set_length(std::size_t body) noexcept;
  void fail(stun_errc e) noexcept {
    if (!error_) error_ = make_error_code(e);
  }

  std::span<std::byte> buffer_;
  std::size_t size_ = 0;
  std::byte padding_{0};
  std::error_code error_;
};

} // namespace tern::stun
