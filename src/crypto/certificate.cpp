// Certificates and keys: loading, in-memory generation (self-signed or
// issued by a generated CA), and SPKI fingerprints for pinning.

#include "crypto/certificate.hpp"

#include "crypto/crypto_error.hpp"
#include "crypto/openssl_util.hpp"
#include "crypto/sha256.hpp"
#include "util/hex.hpp"

#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <cctype>
#include <climits>
#include <fstream>
#include <sstream>

namespace tern::crypto {
namespace {

std::shared_ptr<X509> share_x509(X509* x) {
  if (x == nullptr || X509_up_ref(x) != 1) return nullptr;
  return {x, X509_free};
}
std::shared_ptr<X509> adopt_x509(X509* x) { return x == nullptr ? nullptr : std::shared_ptr<X509>{x, X509_free}; }
std::shared_ptr<EVP_PKEY> adopt_key(EVP_PKEY* k) {
  return k == nullptr ? nullptr : std::shared_ptr<EVP_PKEY>{k, EVP_PKEY_free};
}

// Encrypted keys would make OpenSSL's default callback prompt on the
// terminal; tern never prompts.
int no_passphrase(char*, int, int, void*) { return 0; }

detail::bio_ptr memory_bio(std::string_view text) {
  if (text.size() > static_cast<std::size_t>(INT_MAX)) return nullptr;
  return detail::bio_ptr{BIO_new_mem_buf(text.data(), static_cast<int>(text.size()))};
}

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = std::move(ss).str();
  return !in.bad();
}

bool add_extension(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str());
  if (ext == nullptr) return false;
  const bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

bool is_self_signed(X509* cert) {
  return X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(cert)) == 0;
}

detail::evp_pkey_ptr generate_key(key_algorithm key) {
  switch (key) {
  case key_algorithm::ec_p256: return detail::evp_pkey_ptr{EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")};
  case key_algorithm::ed25519: return detail::evp_pkey_ptr{EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")};
  }
  return nullptr;
}

} // namespace

tls_identity tls_identity::from_pem(std::string_view chain_pem, std::string_view key_pem, std::error_code& ec) {
  detail::error_queue_guard guard;
  ec.clear();
  std::vector<std::shared_ptr<X509>> certs;
  detail::bio_ptr cert_bio = memory_bio(chain_pem);
  if (!cert_bio) {
    ec = crypto_errc::certificate_load_failed;
    return {};
  }
  while (X509* x = PEM_read_bio_X509(cert_bio.get(), nullptr, no_passphrase, nullptr)) certs.push_back(adopt_x509(x));
  if (certs.empty()) {
    ec = crypto_errc::certificate_load_failed;
    return {};
  }
  detail::bio_ptr key_bio = memory_bio(key_pem);
  EVP_PKEY* key = key_bio ? PEM_read_bio_PrivateKey(key_bio.get(), nullptr, no_passphrase, nullptr) : nullptr;
  if (key == nullptr) {
    ec = crypto_errc::certificate_load_failed;
    return {};
  }
  tls_identity id;
  id.key_ = adopt_key(key);
  id.leaf_ = certs.front();
  id.chain_.assign(certs.begin() + 1, certs.end());
  if (X509_check_private_key(id.leaf_.get(), id.key_.get()) != 1) {
    ec = crypto_errc::key_mismatch;
    return {};
  }
  return id;
}

tls_identity tls_identity::from_pem_files(const std::string& chain_path, const std::string& key_path,
                                          std::error_code& ec) {
  std::string chain;
  std::string key;
  if (!read_file(chain_path, chain) || !read_file(key_path, key)) {
    ec = crypto_errc::certificate_load_failed;
    return {};
  }
  tls_identity id = from_pem(chain, key, ec);
  std::fill(key.begin(), key.end(), '\0');
  return id;
}

tls_identity tls_identity::from_openssl(X509* leaf, EVP_PKEY* key, std::span<X509* const> chain,
                                        std::error_code& ec) {
  detail::error_queue_guard guard;
  ec.clear();
  if (leaf == nullptr || key == nullptr) {
    ec = crypto_errc::invalid_argument;
    return {};
  }
  if (X509_check_private_key(leaf, key) != 1) {
    ec = crypto_errc::key_mismatch;
    return {};
  }
  tls_identity id;
  id.leaf_ = share_x509(leaf);
  if (EVP_PKEY_up_ref(key) == 1) id.key_ = adopt_key(key);
  for (X509* x : chain) {
    if (x == nullptr) continue;
    id.chain_.push_back(share_x509(x));
  }
  if (!id.leaf_ || !id.key_) {
    ec = crypto_errc::internal_error;
    return {};
  }
  return id;
}

std::string tls_identity::certificate_chain_pem() const {
  if (empty()) return {};
  detail::error_queue_guard guard;
  detail::bio_ptr bio{BIO_new(BIO_s_mem())};
  if (!bio || PEM_write_bio_X509(bio.get(), leaf_.get()) != 1) return {};
  for (const auto& x : chain_)
    if (PEM_write_bio_X509(bio.get(), x.get()) != 1) return {};
  return detail::drain_bio(bio.get());
}

std::string tls_identity::private_key_pem() const {
  if (empty()) return {};
  detail::error_queue_guard guard;
  detail::bio_ptr bio{BIO_new(BIO_s_mem())};
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) return {};
  return detail::drain_bio(bio.get());
}

std::string tls_identity::fingerprint() const {
  spki_digest digest{};
  if (empty() || spki_sha256(leaf_.get(), digest)) return {};
  return format_fingerprint(digest);
}

tls_identity generate_certificate(const certificate_request& request, std::error_code& ec) {
  detail::error_queue_guard guard;
  ec.clear();
  if (request.common_name.empty() || request.validity_days <= 0 || request.validity_days > 100 * 366 ||
      (request.issuer != nullptr && request.issuer->empty())) {
    ec = crypto_errc::invalid_argument;
    return {};
  }
  std::string san;
  for (const auto& name : request.subject_alt_names) {
    if (name.empty() || name.find_first_of(",\n\r") != std::string::npos) {
      ec = crypto_errc::invalid_argument;
      return {};
    }
    if (!san.empty()) san += ',';
    san += (detail::is_ip_literal(name) ? "IP:" : "DNS:") + name;
  }

  auto fail = [&ec]() -> tls_identity {
    ec = crypto_errc::internal_error;
    return {};
  };
  detail::evp_pkey_ptr key = generate_key(request.key);
  detail::x509_ptr cert{X509_new()};
  if (!key || !cert || X509_set_version(cert.get(), 2) != 1) return fail();

  // A random positive 127-bit serial (RFC 5280 §4.1.2.2: unique per issuer).
  unsigned char serial_bytes[16];
  if (RAND_bytes(serial_bytes, sizeof serial_bytes) != 1) return fail();
  serial_bytes[0] &= 0x7f;
  std::unique_ptr<BIGNUM, detail::openssl_deleter<BN_free>> serial{BN_bin2bn(serial_bytes, sizeof serial_bytes, nullptr)};
  if (!serial || BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr) return fail();

  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(request.validity_days) * 86400) == nullptr ||
      X509_set_pubkey(cert.get(), key.get()) != 1)
    return fail();

  X509_NAME* subject = X509_get_subject_name(cert.get());
  if (X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(request.common_name.c_str()), -1, -1, 0) != 1)
    return fail();
  X509* issuer_cert = request.issuer != nullptr ? request.issuer->certificate() : cert.get();
  EVP_PKEY* signing_key = request.issuer != nullptr ? request.issuer->private_key() : key.get();
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer_cert)) != 1) return fail();

  X509V3_CTX v3;
  X509V3_set_ctx(&v3, issuer_cert, cert.get(), nullptr, nullptr, 0);
  const bool ok =
      add_extension(cert.get(), &v3, NID_basic_constraints, request.is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE") &&
      add_extension(cert.get(), &v3, NID_key_usage,
                    request.is_ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature") &&
      (request.is_ca || add_extension(cert.get(), &v3, NID_ext_key_usage, "serverAuth,clientAuth")) &&
      add_extension(cert.get(), &v3, NID_subject_key_identifier, "hash") &&
      (request.issuer == nullptr || add_extension(cert.get(), &v3, NID_authority_key_identifier, "keyid:always")) &&
      (san.empty() || add_extension(cert.get(), &v3, NID_subject_alt_name, san));
  if (!ok) return fail();

  // Ed25519 signs the message itself (no separate digest).
  const EVP_MD* md = EVP_PKEY_is_a(signing_key, "ED25519") ? nullptr : EVP_sha256();
  if (X509_sign(cert.get(), signing_key, md) <= 0) return fail();

  std::vector<X509*> chain;
  if (request.issuer != nullptr) {
    if (!is_self_signed(request.issuer->certificate())) chain.push_back(request.issuer->certificate());
    for (const auto& x : request.issuer->chain()) chain.push_back(x.get());
  }
  return tls_identity::from_openssl(cert.get(), key.get(), chain, ec);
}

tls_identity generate_self_signed(key_algorithm key, std::string_view common_name, std::error_code& ec) {
  certificate_request request;
  request.key = key;
  request.common_name = std::string(common_name);
  request.subject_alt_names.push_back(request.common_name);
  return generate_certificate(request, ec);
}

std::error_code spki_sha256(const X509* cert, spki_digest& out) noexcept {
  if (cert == nullptr) return crypto_errc::invalid_argument;
  detail::error_queue_guard guard;
  X509_PUBKEY* spki = X509_get_X509_PUBKEY(cert);
  if (spki == nullptr) return crypto_errc::internal_error;
  unsigned char* der = nullptr;
  const int length = i2d_X509_PUBKEY(spki, &der);
  if (length <= 0 || der == nullptr) return crypto_errc::internal_error;
  const auto ec = sha256({reinterpret_cast<const std::byte*>(der), static_cast<std::size_t>(length)}, out);
  OPENSSL_free(der);
  return ec;
}

std::string format_fingerprint(const spki_digest& digest) {
  std::string out;
  out.reserve(digest.size() * 3);
  for (const std::byte& b : digest) {
    if (!out.empty()) out.push_back(':');
    util::append_hex(out, {&b, 1}, util::hex_case::upper);
  }
  return out;
}

std::error_code parse_fingerprint(std::string_view text, spki_digest& out) noexcept {
  static constexpr std::string_view prefix = "sha-256 ";
  if (text.size() >= prefix.size()) {
    bool has_prefix = true;
    for (std::size_t i = 0; i < prefix.size(); ++i)
      has_prefix = has_prefix && std::tolower(static_cast<unsigned char>(text[i])) == prefix[i];
    if (has_prefix) text.remove_prefix(prefix.size());
  }
  // Either 64 digits, or 32 pairs separated by single colons.
  char digits[64];
  if (text.size() == 64) {
    std::copy(text.begin(), text.end(), digits);
  } else if (text.size() == 32 * 3 - 1) {
    for (std::size_t i = 0; i < 32; ++i) {
      if (i > 0 && text[i * 3 - 1] != ':') return crypto_errc::invalid_argument;
      digits[i * 2] = text[i * 3];
      digits[i * 2 + 1] = text[i * 3 + 1];
    }
  } else {
    return crypto_errc::invalid_argument;
  }
  spki_digest result{};
  if (util::from_hex({digits, sizeof digits}, result)) return crypto_errc::invalid_argument;
  out = result;
  return {};
}

} // namespace tern::crypto
