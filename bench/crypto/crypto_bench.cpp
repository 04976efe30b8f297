// Packet protection and handshake costs. Run:
//   build/release/bench/crypto/bench_crypto
#include <benchmark/benchmark.h>

#include "crypto/address_token.hpp"
#include "crypto/aead.hpp"
#include "crypto/certificate.hpp"
#include "crypto/header_protection.hpp"
#include "crypto/key_schedule.hpp"
#include "crypto/tls_session.hpp"

#include <tern/random.hpp>

#include <cstring>
#include <stdexcept>
#include <vector>

namespace tc = tern::crypto;

namespace {

constexpr std::size_t packet_payload = 1200;
constexpr std::size_t header_length = 12;

tc::packet_protector keyed(tc::aead_algorithm a) {
  tern::random_source rng{42};
  std::vector<std::byte> key(tc::aead_key_length(a));
  std::vector<std::byte> iv(tc::aead_iv_length);
  rng.fill(key);
  rng.fill(iv);
  tc::packet_protector p;
  if (p.set_key(a, key, iv)) throw std::runtime_error("set_key");
  return p;
}

void seal(benchmark::State& state, tc::aead_algorithm a) {
  auto p = keyed(a);
  std::vector<std::byte> packet(header_length + packet_payload + tc::aead_tag_length, std::byte{0x42});
  const auto header = std::span{packet}.first(header_length);
  const auto body = std::span{packet}.subspan(header_length);
  std::uint64_t pn = 0;
  for (auto _ : state) {
    if (p.seal(pn++, header, body)) state.SkipWithError("seal failed");
    benchmark::DoNotOptimize(packet.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * packet_payload));
}

// Each iteration restores the sealed packet (a 1.2 kB memcpy) before
// opening it in place; the copy is part of the figure.
void open(benchmark::State& state, tc::aead_algorithm a) {
  auto sender = keyed(a);
  auto receiver = keyed(a);
  std::vector<std::byte> sealed(header_length + packet_payload + tc::aead_tag_length, std::byte{0x42});
  if (sender.seal(7, std::span{sealed}.first(header_length), std::span{sealed}.subspan(header_length)))
    throw std::runtime_error("seal");
  std::vector<std::byte> packet(sealed.size());
  const auto header = std::span{packet}.first(header_length);
  const auto body = std::span{packet}.subspan(header_length);
  for (auto _ : state) {
    std::memcpy(packet.data(), sealed.data(), sealed.size());
    if (receiver.open(7, header, body)) state.SkipWithError("open failed");
    benchmark::DoNotOptimize(packet.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * packet_payload));
}

void header_protect(benchmark::State& state, tc::aead_algorithm a) {
  tc::header_protector hp;
  std::vector<std::byte> key(tc::aead_key_length(a), std::byte{3});
  if (hp.set_key(a, key)) throw std::runtime_error("hp key");
  std::vector<std::byte> packet(header_length + 64, std::byte{0x17});
  const auto header = std::span{packet}.first(header_length);
  const std::size_t pn_offset = header_length - 2;
  for (auto _ : state) {
    if (hp.apply(header, pn_offset, tc::short_header_protected_bits, tc::header_protection_sample(packet, pn_offset)))
      state.SkipWithError("apply failed");
    benchmark::DoNotOptimize(packet.data());
  }
}

void handshake(benchmark::State& state, tc::key_algorithm key) {
  std::error_code ec;
  tc::tls_config server;
  server.identity = tc::generate_self_signed(key, "bench.tern.test", ec);
  server.alpn = {"tern/1"};
  tc::tls_config client;
  client.peer.pinned_fingerprints = {server.identity.fingerprint()};
  client.alpn = {"tern/1"};
  const auto client_ctx = tc::tls_context::create(tc::tls_role::client, client, ec);
  const auto server_ctx = tc::tls_context::create(tc::tls_role::server, server, ec);
  if (!client_ctx || !server_ctx) throw std::runtime_error("context");
  std::vector<std::byte> buffer(64 * 1024);
  auto move = [&](tc::tls_session& from, tc::tls_session& to) {
    const std::size_t n = from.take_output(buffer);
    if (n > 0) (void)to.provide_input(std::span{buffer}.first(n));
    return n;
  };
  for (auto _ : state) {
    auto c = tc::tls_session::create(client_ctx, ec);
    auto s = tc::tls_session::create(server_ctx, ec);
    (void)c->start();
    while (move(*c, *s) + move(*s, *c) > 0) {
    }
    tc::directional_secrets cs;
    tc::directional_secrets ss;
    if (!c->handshake_complete() || !s->handshake_complete() || tc::derive_one_rtt_secrets(*c, cs) ||
        tc::derive_one_rtt_secrets(*s, ss))
      state.SkipWithError("handshake failed");
  }
}

void one_rtt_key_derivation(benchmark::State& state) {
  tc::traffic_secret secret{};
  tc::packet_key_material keys;
  for (auto _ : state) {
    if (tc::derive_next_secret(secret, secret) || tc::derive_packet_key_material(tc::aead_algorithm::aes_128_gcm, secret, keys))
      state.SkipWithError("derive failed");
    benchmark::DoNotOptimize(keys.key.data());
  }
}

void token_validate(benchmark::State& state) {
  tc::address_token_authority authority{std::chrono::seconds{30}};
  const std::vector<std::byte> address(18, std::byte{1});
  std::array<std::byte, tc::address_token_length> token{};
  const tern::time_point now{std::chrono::seconds{5}};
  if (authority.issue(address, now, token)) throw std::runtime_error("issue");
  for (auto _ : state) {
    if (authority.validate(token, address, now)) state.SkipWithError("validate failed");
  }
}

} // namespace

BENCHMARK_CAPTURE(seal, aes_128_gcm_1200B, tc::aead_algorithm::aes_128_gcm);
BENCHMARK_CAPTURE(seal, chacha20_poly1305_1200B, tc::aead_algorithm::chacha20_poly1305);
BENCHMARK_CAPTURE(open, aes_128_gcm_1200B, tc::aead_algorithm::aes_128_gcm);
BENCHMARK_CAPTURE(open, chacha20_poly1305_1200B, tc::aead_algorithm::chacha20_poly1305);
BENCHMARK_CAPTURE(header_protect, aes_128_ecb, tc::aead_algorithm::aes_128_gcm);
BENCHMARK_CAPTURE(header_protect, chacha20, tc::aead_algorithm::chacha20_poly1305);
BENCHMARK_CAPTURE(handshake, ec_p256, tc::key_algorithm::ec_p256)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(handshake, ed25519, tc::key_algorithm::ed25519)->Unit(benchmark::kMicrosecond);
BENCHMARK(one_rtt_key_derivation)->Unit(benchmark::kMicrosecond);
BENCHMARK(token_validate);
