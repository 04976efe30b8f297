#pragma once

// SHA-256 outside the TLS stack: pinned fingerprints (spki_sha256), the file
// hashes of tern-cp's resume protocol, tern-sim's check that every byte
// arrived intact, and the tests. One-shot for data in memory, incremental
// for streams.

#include <array>
#include <cstddef>
#include <span>
#include <system_error>

#include <openssl/types.h>

namespace tern::crypto {

using sha256_digest = std::array<std::byte, 32>;

/// SHA-256 of `data` into `out`.
/// Errors: internal_error (OpenSSL failed, in practice only out of memory);
/// `out` is then unspecified.
std::error_code sha256(std::span<const std::byte> data, sha256_digest& out) noexcept;

/// SHA-256 over bytes that arrive in pieces. Not copyable: it owns an
/// OpenSSL digest context.
class sha256_hasher {
public:
  /// Throws std::bad_alloc when OpenSSL cannot allocate the context.
  sha256_hasher();
  ~sha256_hasher();
  sha256_hasher(const sha256_hasher&) = delete;
  sha256_hasher& operator=(const sha256_hasher&) = delete;

  void update(std::span<const std::byte> bytes) noexcept;
  /// The digest of everything given so far; update() may go on afterwards
  /// (tern-cp hashes a prefix, then the rest). Throws std::bad_alloc when
  /// OpenSSL cannot allocate the copy of the context it finishes.
  sha256_digest digest() const;
  /// Forgets everything given so far.
  void reset() noexcept;

private:
  EVP_MD_CTX* ctx_;
};

} // namespace tern::crypto
