// Identity files (identity.hpp). Creation never exposes a half-written or
// readable-by-others key: the key is written to a 0600 file of our own
// (O_CREAT|O_EXCL, so nothing already there, a symbolic link included, is
// followed), fsynced, then renamed to its name with RENAME_NOREPLACE, so a
// concurrent first start's file is never replaced; the loser loads the
// winner's. Loading applies ssh's checks to the file itself (owner, mode,
// regular file) before trusting a byte of it.
#include "identity.hpp"

#include "crypto/certificate.hpp"
#include "fd_guard.hpp"

#include <openssl/crypto.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <random>
#include <sys/stat.h>
#include <unistd.h>

namespace tern_cp {
namespace {

// A certificate and a P-256 key take about 1 KiB; anything far larger is
// not an identity file, and is not read whole.
constexpr off_t max_identity_bytes = 64 * 1024;

// Pinned fingerprints ignore validity dates (crypto/tls_session.hpp), but
// a certificate that looks expired would puzzle anyone inspecting it.
constexpr int validity_days = 20 * 365;

std::string system_error(const std::string& what) { return what + ": " + std::strerror(errno); }

bool write_all(int fd, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

void sync_directory(const std::filesystem::path& dir) {
  fd_guard d{::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (d.fd >= 0) (void)::fsync(d.fd); // best effort: the file itself is synced
}

// Creates `path` holding a new identity unless something already has that
// name. Returns "" on success or when another process created it first.
std::string create(const std::string& path, const std::string& common_name) {
  const std::filesystem::path file(path);
  const std::filesystem::path dir = file.parent_path();
  std::error_code fec;
  if (!dir.empty() && !std::filesystem::exists(dir, fec)) {
    std::filesystem::create_directories(dir, fec);
    if (fec) return "cannot create the directory " + dir.string() + ": " + fec.message();
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all, fec);
  }

  tern::crypto::certificate_request request;
  request.common_name = common_name;
  request.subject_alt_names = {common_name};
  request.validity_days = validity_days;
  std::error_code ec;
  const tern::crypto::tls_identity id = tern::crypto::generate_certificate(request, ec);
  if (ec) return "cannot generate a key for " + path + ": " + ec.message();
  std::string pem = id.certificate_chain_pem() + id.private_key_pem();

  // Unique per process and per call, so concurrent first starts (threads
  // included) each write their own file and only the rename decides.
  const std::string temporary =
      path + ".new-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}());
  std::string error;
  {
    fd_guard f{::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)};
    if (f.fd < 0) {
      error = system_error("cannot create " + temporary);
    } else if (!write_all(f.fd, pem) || ::fsync(f.fd) != 0) {
      error = system_error("cannot write " + temporary);
      ::unlink(temporary.c_str()); // ours (O_EXCL): never leave a partial key
    }
  }
  OPENSSL_cleanse(pem.data(), pem.size());
  if (!error.empty()) return error;
  if (::renameat2(AT_FDCWD, temporary.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) != 0) {
    const int why = errno;
    // A file system without RENAME_NOREPLACE: link() refuses to replace too.
    const bool linked = (why == EINVAL || why == ENOSYS) && ::link(temporary.c_str(), path.c_str()) == 0;
    const int link_error = errno;
    ::unlink(temporary.c_str());
    if (!linked) {
      if (why == EEXIST || link_error == EEXIST) return {}; // another first start won; load its file
      errno = why;
      return system_error("cannot create " + path);
    }
  }
  sync_directory(dir);
  return {};
}

} // namespace

std::optional<identity> load_or_create_identity(const std::string& path, const std::string& common_name,
                                                std::string& error) {
  bool created = false;
  auto open_file = [&path] { return ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC); };
  int fd = open_file();
  if (fd < 0 && errno == ENOENT) {
    if (error = create(path, common_name); !error.empty()) return std::nullopt;
    created = true;
    fd = open_file();
  }
  if (fd < 0) {
    error = errno == ELOOP ? path + " is a symbolic link; refusing to use it as an identity"
                           : system_error("cannot open the identity file " + path);
    return std::nullopt;
  }
  const fd_guard f{fd};
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) {
    error = system_error("cannot examine " + path);
    return std::nullopt;
  }
  if (!S_ISREG(st.st_mode)) {
    error = path + " is not a regular file; refusing to use it as an identity";
    return std::nullopt;
  }
  if (st.st_uid != ::geteuid()) {
    error = path + " is owned by uid " + std::to_string(st.st_uid) + ", not by this user (uid " +
            std::to_string(::geteuid()) + "); refusing to use someone else's key";
    return std::nullopt;
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    error = "the identity file " + path + " has mode " + mode +
            ": group or others may access its private key; refusing it (chmod 600 " + path +
            " if nobody else has read it, else delete it to make a new identity)";
    return std::nullopt;
  }
  if (st.st_size > max_identity_bytes) {
    error = path + " is too large to be an identity file";
    return std::nullopt;
  }
  identity out;
  out.created = created;
  out.pem.resize(static_cast<std::size_t>(st.st_size));
  std::size_t got = 0;
  while (got < out.pem.size()) {
    const ssize_t n = ::read(f.fd, out.pem.data() + got, out.pem.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = system_error("cannot read " + path);
      return std::nullopt;
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  out.pem.resize(got);
  std::error_code ec;
  const tern::crypto::tls_identity id = tern::crypto::tls_identity::from_pem(out.pem, out.pem, ec);
  if (ec) {
    error = path + " is not a usable identity (a PEM certificate followed by its unencrypted private key): " +
            ec.message() + "; move it away and a new identity is created";
    return std::nullopt;
  }
  out.fingerprint = id.fingerprint();
  return out;
}

} // namespace tern_cp
