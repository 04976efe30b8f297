// AEAD packet payload protection (RFC 9001 §5.3 shape).
//
// nonce = IV XOR left-pad-to-12(packet_number as 64-bit big-endian). tern
// sends only 16 bits of the packet number, but the nonce always uses the full
// 64-bit number the receiver reconstructed: a wrong reconstruction yields a
// wrong nonce and therefore an authentication failure, never a silent
// decryption with a reused nonce.
//
// Each direction of a connection owns its own protector, and each protector
// keeps an initialised EVP_CIPHER_CTX per operation; per packet only the
// nonce is set, which reuses the expanded key schedule and allocates nothing.
//
// How the nonce is set is the largest piece of OpenSSL 3.0's per-packet
// overhead. EVP_*Init_ex with cipher and key null (every variant: Encrypt,
// Cipher with enc -1, the _ex2 forms) costs about 820 instructions for
// AES-128-GCM, three quarters of them in EVP_CIPHER_CTX_get_iv_length, which
// asks the provider for the IV length on every call. For AES-GCM tern hands
// the whole nonce to the provider as the "tlsivfixed" parameter with length
// -1 instead (EVP_CTRL_GCM_SET_IV_FIXED, -1 in ctrl terms: "restore the whole
// IV"): the provider copies it and starts the next message with it exactly as
// an init with that IV would, for about 380 instructions; on open the same
// call also carries the received tag. ChaCha20-Poly1305 keeps EVP_*Init_ex:
// its provider refuses the whole-IV form of that parameter (the call fails),
// and so would any provider without it, which then takes the init path too.
//
// The per-packet calls do not clear OpenSSL's thread-local error queue up
// front (that costs more than header protection itself); they clear it
// whenever a call fails, so they never leave an entry behind, and they never
// read entries others left.

#include "crypto/aead.hpp"

#include "crypto/crypto_error.hpp"
#include "crypto/openssl_util.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>

#include <bit>
#include <climits>
#include <cstring>

namespace tern::crypto {

namespace detail {
void cipher_ctx_deleter::operator()(EVP_CIPHER_CTX* ctx) const noexcept { EVP_CIPHER_CTX_free(ctx); }
} // namespace detail

namespace {

// Packets are far below this; the bound keeps the int casts OpenSSL needs
// well defined.
constexpr std::size_t max_input = std::size_t{1} << 30;

// The null cipher's checksum: two FNV-1a-64 lanes over (key, packet number,
// header, payload). Catches corruption and mismatched packet numbers in
// tests; offers no protection against anyone who wants to forge a packet.
void null_tag(std::span<const std::byte> key, std::uint64_t packet_number, std::span<const std::byte> header,
              std::span<const std::byte> payload, std::byte* tag) noexcept {
  std::uint64_t lanes[2] = {0xcbf29ce484222325ULL, 0x84222325cbf29ce4ULL};
  auto mix = [&](std::byte b) {
    for (auto& h : lanes) {
      h ^= static_cast<std::uint64_t>(b);
      h *= 0x100000001b3ULL;
    }
    lanes[1] = (lanes[1] << 7) | (lanes[1] >> 57);
  };
  for (const std::byte b : key) mix(b);
  for (int i = 7; i >= 0; --i) mix(static_cast<std::byte>((packet_number >> (8 * i)) & 0xff));
  for (const std::byte b : header) mix(b);
  mix(std::byte{0x5a}); // separates header from payload
  for (const std::byte b : payload) mix(b);
  for (int lane = 0; lane < 2; ++lane)
    for (int i = 0; i < 8; ++i) tag[lane * 8 + i] = static_cast<std::byte>((lanes[lane] >> (8 * i)) & 0xff);
}

// Reads (seal) or sets (open) the tag through the provider parameter
// directly: EVP_CIPHER_CTX_ctrl builds the same parameter per call on
// OpenSSL 3 after translating the ctrl code.
bool tag_param(EVP_CIPHER_CTX* ctx, unsigned char* tag, bool set) noexcept {
  OSSL_PARAM params[2] = {OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, aead_tag_length),
                          OSSL_PARAM_construct_end()};
  return (set ? EVP_CIPHER_CTX_set_params(ctx, params) : EVP_CIPHER_CTX_get_params(ctx, params)) == 1;
}

// Starts the next AES-GCM message with `nonce` (and, when opening, the tag to
// check at the end) in one provider call; see the note at the top. False
// (and nothing left in the error queue) if the provider refuses: the caller
// then takes the EVP_*Init_ex path, which every provider supports.
bool start_gcm_message(EVP_CIPHER_CTX* ctx, unsigned char* nonce, unsigned char* tag_to_check) noexcept {
  OSSL_PARAM params[3] = {OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_IV_FIXED, nonce,
                                                            static_cast<std::size_t>(-1)),
                          OSSL_PARAM_construct_end(), OSSL_PARAM_construct_end()};
  if (tag_to_check)
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag_to_check, aead_tag_length);
  if (EVP_CIPHER_CTX_set_params(ctx, params) == 1) return true;
  ERR_clear_error();
  return false;
}

} // namespace

std::string_view to_string(aead_algorithm a) noexcept {
  switch (a) {
  case aead_algorithm::aes_128_gcm: return "AES-128-GCM";
  case aead_algorithm::chacha20_poly1305: return "ChaCha20-Poly1305";
  case aead_algorithm::null_for_tests_only: return "NULL (tests only)";
  }
  return "unknown";
}

packet_protector::packet_protector() noexcept = default;

packet_protector::~packet_protector() { clear(); }

packet_protector::packet_protector(packet_protector&& other) noexcept
    : algorithm_(other.algorithm_), keyed_(other.keyed_), key_(other.key_), iv_(other.iv_),
      seal_ctx_(std::move(other.seal_ctx_)), open_ctx_(std::move(other.open_ctx_)), seal_keyed_(other.seal_keyed_),
      open_keyed_(other.open_keyed_) {
  other.clear();
}

packet_protector& packet_protector::operator=(packet_protector&& other) noexcept {
  if (this != &other) {
    clear();
    algorithm_ = other.algorithm_;
    keyed_ = other.keyed_;
    key_ = other.key_;
    iv_ = other.iv_;
    seal_ctx_ = std::move(other.seal_ctx_);
    open_ctx_ = std::move(other.open_ctx_);
    seal_keyed_ = other.seal_keyed_;
    open_keyed_ = other.open_keyed_;
    other.clear();
  }
  return *this;
}

void packet_protector::clear() noexcept {
  OPENSSL_cleanse(key_.data(), key_.size());
  OPENSSL_cleanse(iv_.data(), iv_.size());
  keyed_ = false;
  // The contexts are kept for reuse, but must be re-keyed before use again.
  seal_keyed_ = false;
  open_keyed_ = false;
}

std::error_code packet_protector::set_key(aead_algorithm a, std::span<const std::byte> key,
                                          std::span<const std::byte> iv) noexcept {
  if (key.size() != aead_key_length(a) || iv.size() != aead_iv_length) return crypto_errc::invalid_argument;
  clear();
  algorithm_ = a;
  std::memcpy(key_.data(), key.data(), key.size());
  std::memcpy(iv_.data(), iv.data(), iv.size());
  keyed_ = true;
  // Key the contexts that already exist now, so a key update costs its key
  // schedule here and not on the first packet that uses it.
  if (a != aead_algorithm::null_for_tests_only) {
    if (seal_ctx_) {
      if (auto ec = key_context(seal_ctx_, seal_keyed_, true)) return clear(), ec;
    }
    if (open_ctx_) {
      if (auto ec = key_context(open_ctx_, open_keyed_, false)) return clear(), ec;
    }
  }
  return {};
}

std::error_code packet_protector::key_context(detail::cipher_ctx_handle& ctx, bool& keyed, bool encrypt) noexcept {
  detail::error_queue_guard guard;
  keyed = false;
  const EVP_CIPHER* cipher = detail::fetched_cipher(algorithm_ == aead_algorithm::chacha20_poly1305
                                                        ? detail::cipher_id::chacha20_poly1305
                                                        : detail::cipher_id::aes_128_gcm);
  if (cipher == nullptr) return crypto_errc::internal_error;
  if (!ctx) {
    ctx.reset(EVP_CIPHER_CTX_new());
    if (!ctx) return crypto_errc::internal_error;
  }
  const int enc = encrypt ? 1 : 0;
  if (EVP_CipherInit_ex(ctx.get(), cipher, nullptr, nullptr, nullptr, enc) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_IVLEN, static_cast<int>(aead_iv_length), nullptr) != 1 ||
      EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, detail::uc(key_.data()), nullptr, enc) != 1)
    return crypto_errc::internal_error;
  keyed = true;
  return {};
}

void packet_protector::make_nonce(std::uint64_t packet_number,
                                  std::array<unsigned char, aead_iv_length>& nonce) const noexcept {
  // Word-wide, not byte by byte: OpenSSL reads the nonce back as a whole,
  // and a dozen single-byte stores just before cost more than the XOR.
  std::memcpy(nonce.data(), iv_.data(), aead_iv_length);
  const std::uint64_t big_endian =
      std::endian::native == std::endian::big ? packet_number : __builtin_bswap64(packet_number);
  std::uint64_t tail = 0;
  std::memcpy(&tail, nonce.data() + aead_iv_length - 8, 8);
  tail ^= big_endian;
  std::memcpy(nonce.data() + aead_iv_length - 8, &tail, 8);
}

std::error_code packet_protector::seal(std::uint64_t packet_number, std::span<const std::byte> header,
                                       std::span<std::byte> payload_and_tag) noexcept {
  if (!keyed_) return crypto_errc::key_unavailable;
  if (payload_and_tag.size() < aead_tag_length || payload_and_tag.size() > max_input || header.size() > max_input)
    return crypto_errc::invalid_argument;
  const std::size_t length = payload_and_tag.size() - aead_tag_length;
  std::byte* const tag = payload_and_tag.data() + length;

  if (algorithm_ == aead_algorithm::null_for_tests_only) {
    null_tag(std::span{key_}.first(aead_key_length(algorithm_)), packet_number, header,
             payload_and_tag.first(length), tag);
    return {};
  }
  if (!seal_keyed_) {
    if (auto ec = key_context(seal_ctx_, seal_keyed_, true)) return ec;
  }
  EVP_CIPHER_CTX* ctx = seal_ctx_.get();
  std::array<unsigned char, aead_iv_length> nonce{};
  make_nonce(packet_number, nonce);
  unsigned char* data = detail::uc(payload_and_tag.data());
  int out = 0;
  int final_out = 0;
  const bool nonce_set =
      (algorithm_ == aead_algorithm::aes_128_gcm && start_gcm_message(ctx, nonce.data(), nullptr)) ||
      EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, nonce.data()) == 1;
  if (!nonce_set ||
      EVP_EncryptUpdate(ctx, nullptr, &out, detail::non_null(header), static_cast<int>(header.size())) != 1 ||
      EVP_EncryptUpdate(ctx, data, &out, data, static_cast<int>(length)) != 1 ||
      EVP_EncryptFinal_ex(ctx, data + out, &final_out) != 1 || !tag_param(ctx, detail::uc(tag), false))
    return detail::openssl_failure();
  return {};
}

std::error_code packet_protector::open(std::uint64_t packet_number, std::span<const std::byte> header,
                                       std::span<std::byte> ciphertext_and_tag) noexcept {
  if (!keyed_) return crypto_errc::key_unavailable;
  if (ciphertext_and_tag.size() < aead_tag_length || ciphertext_and_tag.size() > max_input ||
      header.size() > max_input)
    return crypto_errc::invalid_argument;
  const std::size_t length = ciphertext_and_tag.size() - aead_tag_length;
  std::byte* const received_tag = ciphertext_and_tag.data() + length;

  if (algorithm_ == aead_algorithm::null_for_tests_only) {
    std::byte expected[aead_tag_length];
    null_tag(std::span{key_}.first(aead_key_length(algorithm_)), packet_number, header,
             ciphertext_and_tag.first(length), expected);
    if (CRYPTO_memcmp(expected, received_tag, aead_tag_length) != 0) return crypto_errc::authentication_failed;
    return {};
  }
  if (!open_keyed_) {
    if (auto ec = key_context(open_ctx_, open_keyed_, false)) return ec;
  }
  EVP_CIPHER_CTX* ctx = open_ctx_.get();
  std::array<unsigned char, aead_iv_length> nonce{};
  make_nonce(packet_number, nonce);
  // SET_TAG takes a non-const pointer; copy rather than cast away const.
  unsigned char tag[aead_tag_length];
  std::memcpy(tag, received_tag, aead_tag_length);
  unsigned char* data = detail::uc(ciphertext_and_tag.data());
  int out = 0;
  int final_out = 0;
  const bool tag_set = algorithm_ == aead_algorithm::aes_128_gcm && start_gcm_message(ctx, nonce.data(), tag);
  if ((!tag_set && EVP_DecryptInit_ex(ctx, nullptr, nullptr, nullptr, nonce.data()) != 1) ||
      EVP_DecryptUpdate(ctx, nullptr, &out, detail::non_null(header), static_cast<int>(header.size())) != 1 ||
      EVP_DecryptUpdate(ctx, data, &out, data, static_cast<int>(length)) != 1 ||
      (!tag_set && !tag_param(ctx, tag, true)))
    return detail::openssl_failure();
  if (EVP_DecryptFinal_ex(ctx, data + out, &final_out) != 1) {
    ERR_clear_error(); // a tag mismatch may leave an entry behind
    return crypto_errc::authentication_failed;
  }
  return {};
}

} // namespace tern::crypto
