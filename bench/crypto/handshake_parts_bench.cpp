// The parts of a TLS 1.3 server handshake that resumption cannot skip,
// timed alone with the calls libssl 3.0 makes for them, beside the one it
// skips (the certificate signature). They explain the server_handshake rows
// (resumption_bench.cpp): docs/benchmarks.md, "Resumption CPU". Run:
//   build/release/bench/crypto/bench_crypto --benchmark_filter=handshake_part
#include <benchmark/benchmark.h>

#include "crypto/certificate.hpp"
#include "crypto/hkdf.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <array>
#include <stdexcept>
#include <vector>

namespace tc = tern::crypto;

namespace {

EVP_PKEY* x25519_key() {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "X25519", nullptr);
  EVP_PKEY* key = nullptr;
  if (ctx == nullptr || EVP_PKEY_keygen_init(ctx) != 1 || EVP_PKEY_generate(ctx, &key) != 1)
    throw std::runtime_error("x25519 keygen");
  EVP_PKEY_CTX_free(ctx);
  return key;
}

/// The server's (EC)DHE share: a fresh X25519 key, its encoded public key
/// for the ServerHello, the client's share imported, the shared secret.
void x25519_exchange(benchmark::State& state) {
  EVP_PKEY* client = x25519_key();
  std::array<unsigned char, 32> client_public{};
  std::size_t length = client_public.size();
  EVP_PKEY_get_raw_public_key(client, client_public.data(), &length);
  for (auto _ : state) {
    EVP_PKEY* ours = x25519_key();
    unsigned char* encoded = nullptr;
    const std::size_t encoded_length = EVP_PKEY_get1_encoded_public_key(ours, &encoded);
    EVP_PKEY* peer = EVP_PKEY_new_raw_public_key_ex(nullptr, "X25519", nullptr, client_public.data(), length);
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, ours, nullptr);
    std::array<unsigned char, 32> secret{};
    std::size_t secret_length = secret.size();
    if (encoded_length != 32 || peer == nullptr || ctx == nullptr || EVP_PKEY_derive_init(ctx) != 1 ||
        EVP_PKEY_derive_set_peer(ctx, peer) != 1 || EVP_PKEY_derive(ctx, secret.data(), &secret_length) != 1)
      throw std::runtime_error("x25519 derive");
    benchmark::DoNotOptimize(secret);
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(peer);
    OPENSSL_free(encoded);
    EVP_PKEY_free(ours);
  }
  EVP_PKEY_free(client);
}

/// What a full handshake does and a resumed one does not: CertificateVerify
/// (an ECDSA P-256 signature over the transcript hash with SHA-256).
void p256_certificate_verify(benchmark::State& state) {
  std::error_code ec;
  const auto identity = tc::generate_self_signed(tc::key_algorithm::ec_p256, "bench.tern.test", ec);
  std::vector<unsigned char> content(64 + 33 + 1 + 32, 0x20);
  std::array<unsigned char, 80> signature{};
  for (auto _ : state) {
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    std::size_t length = signature.size();
    if (md == nullptr ||
        EVP_DigestSignInit_ex(md, nullptr, "SHA256", nullptr, nullptr, identity.private_key(), nullptr) !=
            1 ||
        EVP_DigestSign(md, signature.data(), &length, content.data(), content.size()) != 1)
      throw std::runtime_error("sign");
    benchmark::DoNotOptimize(signature);
    EVP_MD_CTX_free(md);
  }
}

/// One HKDF-Expand-Label as libssl 3.0 runs each step of the TLS 1.3 key
/// schedule (it fetches the KDF for every derivation), against tern's own
/// (fetched once per process). A resumed handshake with DHE runs about as
/// many of them as a full one, plus the PSK binder's.
void hkdf_expand_label_fetching(benchmark::State& state) {
  std::array<unsigned char, 32> secret{};
  std::array<unsigned char, 32> out{};
  std::array<unsigned char, 64> label{};
  char digest[] = "SHA256";
  for (auto _ : state) {
    EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "TLS13-KDF", nullptr);
    EVP_KDF_CTX* ctx = kdf != nullptr ? EVP_KDF_CTX_new(kdf) : nullptr;
    int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, secret.data(), secret.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PREFIX, const_cast<char*>("tls13 "), 6),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_LABEL, label.data(), 12),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_DATA, label.data(), 32),
        OSSL_PARAM_construct_end()};
    if (ctx == nullptr || EVP_KDF_derive(ctx, out.data(), out.size(), params) != 1)
      throw std::runtime_error("tls13 kdf");
    benchmark::DoNotOptimize(out);
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
  }
}

void hkdf_expand_label_tern(benchmark::State& state) {
  std::array<std::byte, 32> secret{};
  std::array<std::byte, 32> out{};
  for (auto _ : state) {
    if (tc::hkdf_expand_label(secret, "tern key", {}, out)) throw std::runtime_error("hkdf");
    benchmark::DoNotOptimize(out);
  }
}

} // namespace

BENCHMARK(x25519_exchange)->Name("handshake_part/x25519_exchange")->Unit(benchmark::kMicrosecond);
BENCHMARK(p256_certificate_verify)
    ->Name("handshake_part/p256_certificate_verify")
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(hkdf_expand_label_fetching)
    ->Name("handshake_part/hkdf_expand_label_libssl_way")
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(hkdf_expand_label_tern)
    ->Name("handshake_part/hkdf_expand_label_tern")
    ->Unit(benchmark::kMicrosecond);
