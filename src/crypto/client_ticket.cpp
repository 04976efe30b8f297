// The client's stored ticket: a small length-prefixed record.

#include "crypto/client_ticket.hpp"

#include "crypto/crypto_error.hpp"

#include <cstring>

namespace tern::crypto {
namespace {

class cursor {
public:
  explicit cursor(std::span<const std::byte> bytes) : rest_(bytes) {}
  bool take(std::span<std::byte> out) {
    if (rest_.size() < out.size()) return false;
    std::memcpy(out.data(), rest_.data(), out.size());
    rest_ = rest_.subspan(out.size());
    return true;
  }
  std::optional<std::size_t> byte() {
    std::byte b{};
    if (!take(std::span{&b, 1})) return std::nullopt;
    return static_cast<std::size_t>(b);
  }
  bool text(std::string& out) {
    const auto n = byte();
    if (!n || rest_.size() < *n) return false;
    out.assign(reinterpret_cast<const char*>(rest_.data()), *n);
    rest_ = rest_.subspan(*n);
    return true;
  }
  bool empty() const noexcept { return rest_.empty(); }
  std::span<const std::byte> rest() const noexcept { return rest_; }
  void skip(std::size_t n) { rest_ = rest_.subspan(n); }

private:
  std::span<const std::byte> rest_;
};

void put_text(std::vector<std::byte>& out, const std::string& s) {
  out.push_back(static_cast<std::byte>(s.size()));
  const auto* p = reinterpret_cast<const std::byte*>(s.data());
  out.insert(out.end(), p, p + s.size());
}

} // namespace

std::vector<std::byte> client_ticket::encode() const {
  std::vector<std::byte> out;
  if (server_name.size() > 255 || alpn.size() > 255 || session.size() > 0xffff) return out;
  out.push_back(static_cast<std::byte>(version));
  put_text(out, server_name);
  put_text(out, alpn);
  for (const auto* key : {&peer_key, &own_key}) {
    out.push_back(static_cast<std::byte>(*key ? 1 : 0));
    if (*key) out.insert(out.end(), (*key)->begin(), (*key)->end());
  }
  out.push_back(static_cast<std::byte>(session.size() >> 8));
  out.push_back(static_cast<std::byte>(session.size() & 0xff));
  out.insert(out.end(), session.begin(), session.end());
  return out;
}

std::optional<client_ticket> client_ticket::decode(std::span<const std::byte> bytes, std::error_code& ec) {
  ec = crypto_errc::invalid_argument;
  if (bytes.size() > max_encoded_length) return std::nullopt;
  cursor in(bytes);
  client_ticket t;
  if (in.byte() != version) return std::nullopt;
  if (!in.text(t.server_name) || !in.text(t.alpn)) return std::nullopt;
  for (auto* slot : {&t.peer_key, &t.own_key}) {
    const auto has_key = in.byte();
    if (!has_key || *has_key > 1) return std::nullopt;
    if (*has_key == 1) {
      spki_digest key{};
      if (!in.take(key)) return std::nullopt;
      *slot = key;
    }
  }
  const auto high = in.byte();
  const auto low = in.byte();
  if (!high || !low) return std::nullopt;
  const std::size_t length = (*high << 8) | *low;
  if (length == 0 || in.rest().size() != length) return std::nullopt;
  t.session.assign(in.rest().begin(), in.rest().end());
  ec.clear();
  return t;
}

} // namespace tern::crypto
