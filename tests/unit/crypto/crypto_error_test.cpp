#include <doctest/doctest.h>

#include "crypto/crypto_error.hpp"
#include "crypto_test_util.hpp"

#include <string>

using namespace tern::crypto;

TEST_CASE("crypto_error: codes belong to the tern.crypto category with distinct messages") {
  const std::error_code ec = crypto_errc::fingerprint_mismatch;
  CHECK(std::string(ec.category().name()) == "tern.crypto");
  CHECK(ec == crypto_errc::fingerprint_mismatch);
  CHECK(ec != crypto_errc::hostname_mismatch);
  CHECK(static_cast<bool>(ec));
  const std::string expired = make_error_code(crypto_errc::token_expired).message();
  const std::string invalid = make_error_code(crypto_errc::token_invalid).message();
  CHECK(expired != invalid);
  for (int v = 1; v <= static_cast<int>(crypto_errc::peer_requires_certificate); ++v)
    CHECK(make_error_code(static_cast<crypto_errc>(v)).message().find("unknown") == std::string::npos);
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
