#include <doctest/doctest.h>

#include "crypto/certificate.hpp"
#include "crypto/crypto_error.hpp"
#include "crypto_test_util.hpp"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cctype>

#include <cstdio>
#include <fstream>
#include <string>

using namespace tern::crypto;
using namespace tern::crypto::test;

TEST_CASE("certificate: self-signed generation for both key types, with a stable fingerprint") {
  for (const auto key : {key_algorithm::ec_p256, key_algorithm::ed25519}) {
    const auto id = self_signed(key, "node.tern.test");
    const std::string fp = id.fingerprint();
    CHECK(fp.size() == 32 * 3 - 1);
    CHECK(fp == id.fingerprint());
    spki_digest parsed{};
    REQUIRE_FALSE(parse_fingerprint(fp, parsed));
    CHECK(format_fingerprint(parsed) == fp);
    CHECK(id.chain().empty());
    CHECK(X509_check_host(id.certificate(), "node.tern.test", 0, 0, nullptr) == 1);
  }
  CHECK(self_signed().fingerprint() != self_signed().fingerprint()); // fresh keys
}

TEST_CASE("certificate: PEM round trip keeps the key and the chain") {
  const auto pki = test_pki::make();
  const auto leaf = pki.issue({"server.tern.test"});
  REQUIRE(leaf.chain().size() == 1); // the intermediate, not the root
  std::error_code ec;
  const auto loaded = tls_identity::from_pem(leaf.certificate_chain_pem(), leaf.private_key_pem(), ec);
  REQUIRE_FALSE(ec);
  CHECK(loaded.fingerprint() == leaf.fingerprint());
  CHECK(loaded.chain().size() == 1);
  CHECK(X509_cmp(loaded.chain()[0].get(), pki.intermediate.certificate()) == 0);
}

TEST_CASE("certificate: PEM files load, and unreadable or mismatched inputs are errors") {
  const auto id = self_signed();
  const std::string cert_path = "tern_certificate_test_cert.pem";
  const std::string key_path = "tern_certificate_test_key.pem";
  std::ofstream(cert_path) << id.certificate_chain_pem();
  std::ofstream(key_path) << id.private_key_pem();
  std::error_code ec;
  const auto loaded = tls_identity::from_pem_files(cert_path, key_path, ec);
  CHECK_FALSE(ec);
  CHECK(loaded.fingerprint() == id.fingerprint());

  (void)tls_identity::from_pem_files("/nonexistent/cert.pem", key_path, ec);
  CHECK(ec == crypto_errc::certificate_load_failed);
  std::remove(cert_path.c_str());
  std::remove(key_path.c_str());

  (void)tls_identity::from_pem("garbage", id.private_key_pem(), ec);
  CHECK(ec == crypto_errc::certificate_load_failed);
  (void)tls_identity::from_pem(id.certificate_chain_pem(), "garbage", ec);
  CHECK(ec == crypto_errc::certificate_load_failed);
  const auto other = self_signed();
  (void)tls_identity::from_pem(id.certificate_chain_pem(), other.private_key_pem(), ec);
  CHECK(ec == crypto_errc::key_mismatch);
  (void)tls_identity::from_openssl(id.certificate(), other.private_key(), {}, ec);
  CHECK(ec == crypto_errc::key_mismatch);
  (void)tls_identity::from_openssl(nullptr, id.private_key(), {}, ec);
  CHECK(ec == crypto_errc::invalid_argument);
  CHECK(ERR_peek_error() == 0);
}

TEST_CASE("certificate: an identity wraps existing OpenSSL objects without taking them") {
  const auto id = self_signed();
  std::error_code ec;
  tls_identity copy;
  {
    const auto wrapped = tls_identity::from_openssl(id.certificate(), id.private_key(), {}, ec);
    REQUIRE_FALSE(ec);
    copy = wrapped;
  }
  CHECK(copy.fingerprint() == id.fingerprint());
  CHECK(copy.certificate() == id.certificate());
}

TEST_CASE("certificate: issued certificates carry CA constraints and subjectAltNames") {
  const auto pki = test_pki::make();
  CHECK(X509_check_ca(pki.root.certificate()) >= 1);
  CHECK(X509_check_ca(pki.intermediate.certificate()) >= 1);
  const auto leaf = pki.issue({"a.tern.test", "10.1.2.3"});
  CHECK(X509_check_ca(leaf.certificate()) == 0);
  CHECK(X509_check_host(leaf.certificate(), "a.tern.test", 0, 0, nullptr) == 1);
  CHECK(X509_check_host(leaf.certificate(), "b.tern.test", 0, 0, nullptr) == 0);
  CHECK(X509_check_ip_asc(leaf.certificate(), "10.1.2.3", 0) == 1);
  CHECK(X509_check_issued(pki.intermediate.certificate(), leaf.certificate()) == X509_V_OK);

  std::error_code ec;
  certificate_request bad;
  bad.subject_alt_names = {"a,DNS:evil"};
  (void)generate_certificate(bad, ec);
  CHECK(ec == crypto_errc::invalid_argument);
  bad.subject_alt_names.clear();
  bad.validity_days = 0;
  (void)generate_certificate(bad, ec);
  CHECK(ec == crypto_errc::invalid_argument);
  const tls_identity empty;
  certificate_request orphan;
  orphan.issuer = &empty;
  (void)generate_certificate(orphan, ec);
  CHECK(ec == crypto_errc::invalid_argument);
}

TEST_CASE("certificate: fingerprint parsing accepts the usual spellings and rejects the rest") {
  const auto id = self_signed();
  const std::string fp = id.fingerprint();
  std::string bare;
  for (const char c : fp)
    if (c != ':') bare.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  spki_digest a{}, b{}, c{};
  REQUIRE_FALSE(parse_fingerprint(fp, a));
  REQUIRE_FALSE(parse_fingerprint(bare, b));
  REQUIRE_FALSE(parse_fingerprint("SHA-256 " + fp, c));
  CHECK(a == b);
  CHECK(a == c);
  spki_digest d{};
  CHECK(parse_fingerprint("", d) == crypto_errc::invalid_argument);
  CHECK(parse_fingerprint(bare.substr(2), d) == crypto_errc::invalid_argument);
  CHECK(parse_fingerprint(bare + "00", d) == crypto_errc::invalid_argument);
  std::string bad_digit = bare;
  bad_digit[10] = 'g';
  CHECK(parse_fingerprint(bad_digit, d) == crypto_errc::invalid_argument);
  std::string bad_separator = fp;
  bad_separator[2] = '-';
  CHECK(parse_fingerprint(bad_separator, d) == crypto_errc::invalid_argument);
  CHECK(d == spki_digest{}); // untouched on error
}
