// Server CPU per handshake: full (certificate signature) against resumed
// (PSK with (EC)DHE, no certificate) and resumed with accepted early data,
// with server-only authentication and with mutual TLS (tern-cp's default:
// a full handshake also verifies the client's certificate signature, a
// resumed one does not). Only the server's calls are timed, in thread CPU
// time. Run:
//   build/release/bench/crypto/bench_crypto --benchmark_filter=server_
#include <benchmark/benchmark.h>

#include "crypto/key_schedule.hpp"
#include "crypto/tls_session.hpp"

#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <algorithm>
#include <ctime>
#include <stdexcept>
#include <string>
#include <vector>

namespace tc = tern::crypto;

namespace {

enum class mode { full, resumed, early_data };
enum class server_key { p256, rsa2048 };
enum class auth { server_only, mutual };

/// A self-signed RSA-2048 identity: the certificate kind whose signature
/// dominates a full handshake (tern generates P-256 keys, but loads any).
tc::tls_identity rsa_identity() {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  X509* cert = X509_new();
  if (key == nullptr || cert == nullptr) throw std::runtime_error("rsa");
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("bench.tern.test"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_set_pubkey(cert, key);
  if (X509_sign(cert, key, EVP_sha256()) == 0) throw std::runtime_error("rsa sign");
  BIO* cert_bio = BIO_new(BIO_s_mem());
  BIO* key_bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(cert_bio, cert);
  PEM_write_bio_PrivateKey(key_bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  auto text = [](BIO* b) {
    char* data = nullptr;
    const long n = BIO_get_mem_data(b, &data);
    return std::string(data, static_cast<std::size_t>(n));
  };
  std::error_code ec;
  auto identity = tc::tls_identity::from_pem(text(cert_bio), text(key_bio), ec);
  BIO_free(cert_bio);
  BIO_free(key_bio);
  X509_free(cert);
  EVP_PKEY_free(key);
  if (ec) throw std::runtime_error("rsa identity");
  return identity;
}

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

/// Runs one of the server's calls and returns the thread CPU time it took.
/// Every timed call goes through here (and nothing else does), so a
/// profiler can collect the server alone:
///   valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*on_server*' bench_crypto ...
template <class F>
[[gnu::noinline]] double on_server(F&& call) {
  const double t0 = thread_cpu_seconds();
  call();
  return thread_cpu_seconds() - t0;
}

void server_handshake(benchmark::State& state, mode m, server_key k, auth a = auth::server_only) {
  std::error_code ec;
  tc::tls_config server;
  server.identity = k == server_key::p256
                        ? tc::generate_self_signed(tc::key_algorithm::ec_p256, "bench.tern.test", ec)
                        : rsa_identity();
  server.alpn = {"tern/1"};
  server.tickets.keys = tc::ticket_key_ring::generate(ec);
  server.tickets.accept_early_data = true;
  server.tickets.replay = std::make_shared<tc::replay_guard>(10'000'000);
  tc::tls_config client;
  client.peer.pinned_fingerprints = {server.identity.fingerprint()};
  client.alpn = {"tern/1"};
  client.resumption = true;
  if (a == auth::mutual) {
    client.identity = tc::generate_self_signed(tc::key_algorithm::ec_p256, "client.tern.test", ec);
    server.client_auth = tc::client_authentication::required;
    server.peer.pinned_fingerprints = {client.identity.fingerprint()};
  }
  const auto client_ctx = tc::tls_context::create(tc::tls_role::client, client, ec);
  const auto server_ctx = tc::tls_context::create(tc::tls_role::server, server, ec);
  if (!client_ctx || !server_ctx) throw std::runtime_error("context");
  std::vector<std::byte> buffer(64 * 1024);
  std::vector<std::byte> ticket;
  // Server CPU per phase: session creation, the ClientHello (to the
  // server's whole flight), the client's Finished (to the 1-RTT secrets
  // and the NewSessionTicket), freeing the session.
  double phase[4] = {0, 0, 0, 0};
  auto run = [&](bool offer, bool timed) {
    auto c = tc::tls_session::create(client_ctx, ec);
    if (offer && c->offer_ticket(ticket, m == mode::early_data)) throw std::runtime_error("ticket refused");
    (void)c->start();
    double spent[4] = {0, 0, 0, 0};
    std::unique_ptr<tc::tls_session> s;
    spent[0] += on_server([&] { s = tc::tls_session::create(server_ctx, ec); });
    int flights = 0;
    bool secrets = false;
    for (int round = 0; round < 8; ++round) {
      const std::size_t n = c->take_output(buffer);
      std::size_t back = 0;
      if (n > 0) {
        // What the connection does with a client flight: hand it to TLS,
        // take the answer, and derive the 1-RTT secrets once complete.
        double& into = spent[std::min(1 + flights++, 2)];
        into += on_server([&] {
          (void)s->provide_input(std::span{buffer}.first(n));
          back = s->take_output(buffer);
          if (s->handshake_complete() && !secrets) {
            tc::directional_secrets ss;
            secrets = !tc::derive_one_rtt_secrets(*s, ss);
          }
        });
      }
      if (back > 0) (void)c->provide_input(std::span{buffer}.first(back));
      if (n == 0 && back == 0) break;
    }
    if (!s->handshake_complete() || !secrets || (offer && !s->resumed()))
      throw std::runtime_error("not resumed");
    if (m == mode::early_data && offer && s->early_data() != tc::early_data_status::accepted)
      throw std::runtime_error("early data refused");
    spent[3] += on_server([&] { s.reset(); });
    if (c->tickets_received() > 0) ticket = c->ticket();
    if (timed)
      for (int i = 0; i < 4; ++i) phase[i] += spent[i];
    return spent[0] + spent[1] + spent[2] + spent[3];
  };
  run(false, false); // the first ticket
  for (auto _ : state) state.SetIterationTime(run(m != mode::full, true));
  const auto per_handshake = [&](double seconds) {
    return benchmark::Counter(seconds * 1e6 / static_cast<double>(state.iterations()));
  };
  state.counters["server_cpu_us"] = per_handshake(phase[0] + phase[1] + phase[2] + phase[3]);
  const char* names[] = {"create_us", "hello_us", "finished_us", "free_us"};
  for (int i = 0; i < 4; ++i) state.counters[names[i]] = per_handshake(phase[i]);
}

} // namespace

BENCHMARK_CAPTURE(server_handshake, full_p256, mode::full, server_key::p256)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(server_handshake, resumed, mode::resumed, server_key::p256)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(server_handshake, resumed_0rtt, mode::early_data, server_key::p256)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
// The same pair with mutual TLS (both P-256), as tern-cp runs by default.
BENCHMARK_CAPTURE(server_handshake, full_p256_mutual, mode::full, server_key::p256, auth::mutual)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(server_handshake, resumed_mutual, mode::resumed, server_key::p256, auth::mutual)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
// The same pair with an RSA-2048 certificate (the resumed row does not
// depend on the key: no signature).
BENCHMARK_CAPTURE(server_handshake, full_rsa2048, mode::full, server_key::rsa2048)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(server_handshake, resumed_rsa2048, mode::resumed, server_key::rsa2048)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
