#include <doctest/doctest.h>

#include "crypto/crypto_error.hpp"
#include "crypto_test_util.hpp"

#include <iterator>
#include <set>
#include <string>

using namespace tern::crypto;

namespace {
constexpr int first_crypto_errc = static_cast<int>(crypto_errc::invalid_argument);
constexpr int last_crypto_errc = static_cast<int>(crypto_errc::ticket_mismatch);
} // namespace

TEST_CASE("crypto_error: every code is in tern.crypto with its own message") {
  std::set<std::string> messages;
  for (int v = first_crypto_errc; v <= last_crypto_errc; ++v) {
    CAPTURE(v);
    const std::error_code ec = make_error_code(static_cast<crypto_errc>(v));
    CHECK(std::string(ec.category().name()) == "tern.crypto");
    CHECK(&ec.category() == &crypto_category());
    const std::string m = ec.message();
    CHECK_FALSE(m.empty());
    CHECK(m.find("unknown") == std::string::npos); // the fallback below
    messages.insert(m);
  }
  CHECK(messages.size() == static_cast<std::size_t>(last_crypto_errc - first_crypto_errc + 1));
  // Values outside the enum fall back, naming the value.
  CHECK(crypto_category().message(last_crypto_errc + 1).find("unknown") != std::string::npos);
  CHECK(crypto_category().message(last_crypto_errc + 1).find(std::to_string(last_crypto_errc + 1)) !=
        std::string::npos);
  CHECK(crypto_category().message(0).find("unknown") != std::string::npos);
}

TEST_CASE("crypto_error: codes keep the numbers of the docs/crypto.md table order") {
  // docs/crypto.md "Errors" lists the codes in enum order; values start at 1
  // and new codes are appended, so a value an application logged or matched
  // keeps its meaning. A reordered or inserted enumerator fails here.
  const crypto_errc table[] = {
      crypto_errc::invalid_argument,          crypto_errc::invalid_configuration,
      crypto_errc::certificate_load_failed,   crypto_errc::key_mismatch,
      crypto_errc::handshake_failed,          crypto_errc::certificate_untrusted,
      crypto_errc::certificate_invalid,       crypto_errc::hostname_mismatch,
      crypto_errc::fingerprint_mismatch,      crypto_errc::peer_certificate_required,
      crypto_errc::alpn_mismatch,             crypto_errc::alert_received,
      crypto_errc::handshake_incomplete,      crypto_errc::authentication_failed,
      crypto_errc::key_unavailable,           crypto_errc::key_update_not_allowed,
      crypto_errc::usage_limit_reached,       crypto_errc::token_expired,
      crypto_errc::token_invalid,             crypto_errc::internal_error,
      crypto_errc::peer_rejected_certificate, crypto_errc::peer_requires_certificate,
      crypto_errc::ticket_invalid,            crypto_errc::ticket_mismatch,
  };
  CHECK(std::size(table) == static_cast<std::size_t>(last_crypto_errc));
  for (std::size_t i = 0; i < std::size(table); ++i) {
    CAPTURE(i);
    CHECK(static_cast<int>(table[i]) == static_cast<int>(i) + 1);
  }
}

TEST_CASE("crypto_error: no code is equivalent to a generic std::errc (no mapping is defined)") {
  // crypto_category() keeps the default equivalence: a caller testing
  // ec == std::errc::invalid_argument must not catch crypto errors.
  CHECK(std::error_code(crypto_errc::invalid_argument) != std::errc::invalid_argument);
  CHECK(std::error_code(crypto_errc::internal_error) != std::errc::not_enough_memory);
}

TEST_CASE("crypto_error: TLS alert names") {
  CHECK(tls_alert_name(42) == "bad_certificate");
  CHECK(tls_alert_name(116) == "certificate_required");
  CHECK(tls_alert_name(120) == "no_application_protocol");
  CHECK(tls_alert_name(255) == "unknown");
}

TEST_CASE("crypto_error: an alert judging this side's certificate gets its own error") {
  CHECK(received_alert_error(116) == crypto_errc::peer_requires_certificate);
  CHECK(received_alert_error(42) == crypto_errc::peer_rejected_certificate);
  CHECK(received_alert_error(48) == crypto_errc::peer_rejected_certificate);
  CHECK(received_alert_error(120) == crypto_errc::alert_received);
  CHECK(received_alert_error(40) == crypto_errc::alert_received);
  // Appended: the older values keep their numbers.
  CHECK(static_cast<int>(crypto_errc::peer_rejected_certificate) == static_cast<int>(crypto_errc::internal_error) + 1);
}
