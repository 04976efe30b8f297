#pragma once

// A tern-cp identity that lasts: an ECDSA P-256 key and its self-signed
// certificate in one PEM file (certificate, then unencrypted PKCS#8 key),
// created on first use and loaded on every later one, so the fingerprint
// peers pinned stays the same across restarts. The server keeps
// server_identity.pem, the client client_identity.pem, both in
// config_dir() (config_dir.hpp). Like ssh with its private keys, a file that someone else
// owns or that group or others may read or write is refused: the key is
// the identity, and whoever can read it can be it.

#include <optional>
#include <string>

namespace tern_cp {

struct identity {
  std::string pem;         ///< the whole file: certificate, then key
  std::string fingerprint; ///< SPKI SHA-256, as tern prints and pins it
  bool created = false;    ///< made by this call
};

/// Loads the identity in `path`, creating it first when it does not exist
/// (its directory too, mode 0700). The file is made with mode 0600 under a
/// temporary name (O_CREAT|O_EXCL), written, fsynced and renamed into place
/// without replacing anything: two first starts at once end up with the
/// same one. `common_name` names a new certificate ("tern-cp server").
/// Returns nullopt with `error` set (naming the file) when the file cannot
/// be created or read, is not a regular file, is owned by another user, is
/// accessible to group or others, or does not hold exactly a certificate
/// and its key.
std::optional<identity> load_or_create_identity(const std::string& path, const std::string& common_name,
                                                std::string& error);

} // namespace tern_cp
