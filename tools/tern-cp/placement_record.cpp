#include "placement_record.hpp"

#include "fd_guard.hpp"
#include "partial_file.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace tern_cp {
namespace {

constexpr std::string_view record_magic = "tern-cp placed 1";
/// A record is one short line; anything longer is not one of ours.
constexpr std::size_t max_record_text = 512;

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

template <class Int>
bool next_number(std::string_view& rest, Int& out) {
  if (rest.empty() || rest[0] != ' ') return false;
  rest.remove_prefix(1);
  const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), out);
  if (ec != std::errc() || end == rest.data()) return false;
  rest.remove_prefix(static_cast<std::size_t>(end - rest.data()));
  return true;
}

bool is_hex64(std::string_view s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

// The records folder, opened without following a symlink; -1 if absent
// (and not created) or unusable.
int open_records(int root_fd, bool create) {
  if (create && ::mkdirat(root_fd, placed_dir_name, 0700) != 0 && errno != EEXIST) return -1;
  return ::openat(root_fd, placed_dir_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

std::optional<placed_file> read_record(int dir_fd, const char* name) {
  fd_guard f{::openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)};
  if (f.fd < 0) return std::nullopt;
  std::array<char, max_record_text> buf;
  const ssize_t n = ::read(f.fd, buf.data(), buf.size());
  if (n <= 0) return std::nullopt;
  return decode_placement(std::string_view(buf.data(), static_cast<std::size_t>(n)));
}

} // namespace

placed_file describe_placement(const struct stat& target, std::string sha256_hex, std::int64_t now) {
  placed_file p;
  p.size = static_cast<std::uint64_t>(target.st_size);
  p.sha256_hex = std::move(sha256_hex);
  p.device = static_cast<std::uint64_t>(target.st_dev);
  p.inode = static_cast<std::uint64_t>(target.st_ino);
  p.ctime_ns = static_cast<std::int64_t>(target.st_ctim.tv_sec) * 1000000000 + target.st_ctim.tv_nsec;
  p.placed_at = now;
  return p;
}

bool already_placed(const std::optional<placed_file>& record, const file_header& announced,
                    const struct stat& target, std::int64_t now, std::int64_t max_age) {
  if (!record || now - record->placed_at > max_age || record->placed_at > now) return false;
  const placed_file current = describe_placement(target, announced.sha256_hex, record->placed_at);
  return S_ISREG(target.st_mode) && record->size == announced.size && record->sha256_hex == announced.sha256_hex &&
         current.size == record->size && current.device == record->device && current.inode == record->inode &&
         current.ctime_ns == record->ctime_ns;
}

std::string encode_placement(const placed_file& p) {
  return std::string(record_magic) + " " + std::to_string(p.size) + " " + p.sha256_hex + " " +
         std::to_string(p.device) + " " + std::to_string(p.inode) + " " + std::to_string(p.ctime_ns) + " " +
         std::to_string(p.placed_at) + "\n";
}

std::optional<placed_file> decode_placement(std::string_view text) {
  if (!text.starts_with(record_magic) || !text.ends_with('\n')) return std::nullopt;
  std::string_view rest = text.substr(record_magic.size(), text.size() - record_magic.size() - 1);
  placed_file p;
  if (!next_number(rest, p.size) || rest.size() < 65 || rest[0] != ' ' || !is_hex64(rest.substr(1, 64)))
    return std::nullopt;
  p.sha256_hex = std::string(rest.substr(1, 64));
  rest.remove_prefix(65);
  if (!next_number(rest, p.device) || !next_number(rest, p.inode) || !next_number(rest, p.ctime_ns) ||
      !next_number(rest, p.placed_at) || !rest.empty())
    return std::nullopt;
  return p;
}

placement_log::placement_log(int root_fd, limits l) : root_fd_(root_fd), limits_(l) {}

bool placement_log::record(std::string_view owner, std::string_view relative_path, const placed_file& p,
                           std::int64_t now, std::string& why) {
  // Pruned before writing: the first write of this process, then every
  // quarter of the bound, so between prunes at most max_records / 4 more
  // records arrive.
  if (!pruned_ || writes_since_prune_ >= std::max<std::size_t>(1, limits_.max_records / 4)) {
    prune(now);
    pruned_ = true;
    writes_since_prune_ = 0;
  }
  fd_guard dir{open_records(root_fd_, true)};
  if (dir.fd < 0) return why = errno_text("cannot open the placement records"), false;
  const std::string name = partial_name(owner, relative_path);
  fd_guard f{::openat(dir.fd, name.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600)};
  if (f.fd < 0) return why = errno_text("cannot write a placement record"), false;
  const std::string text = encode_placement(p);
  if (::write(f.fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    why = errno_text("cannot write a placement record");
    ::unlinkat(dir.fd, name.c_str(), 0);
    return false;
  }
  ++writes_since_prune_;
  return true;
}

std::optional<placed_file> placement_log::find(std::string_view owner, std::string_view relative_path) const {
  fd_guard dir{open_records(root_fd_, false)};
  if (dir.fd < 0) return std::nullopt;
  return read_record(dir.fd, partial_name(owner, relative_path).c_str());
}

std::size_t placement_log::prune(std::int64_t now) {
  fd_guard dir{open_records(root_fd_, false)};
  if (dir.fd < 0) return 0;
  const int scan_fd = ::dup(dir.fd);
  DIR* d = scan_fd >= 0 ? ::fdopendir(scan_fd) : nullptr;
  if (d == nullptr) {
    if (scan_fd >= 0) ::close(scan_fd);
    return 0;
  }
  std::vector<std::pair<std::int64_t, std::string>> kept; // (placed_at, name)
  while (const dirent* e = ::readdir(d)) {
    const std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    const auto p = read_record(dir.fd, e->d_name);
    if (!p || now - p->placed_at > limits_.max_age || p->placed_at > now)
      ::unlinkat(dir.fd, e->d_name, 0);
    else
      kept.emplace_back(p->placed_at, std::string(name));
  }
  ::closedir(d);
  if (kept.size() > limits_.max_records) {
    const auto excess = static_cast<std::ptrdiff_t>(kept.size() - limits_.max_records);
    std::nth_element(kept.begin(), kept.begin() + excess, kept.end());
    for (auto it = kept.begin(); it != kept.begin() + excess; ++it) ::unlinkat(dir.fd, it->second.c_str(), 0);
    kept.erase(kept.begin(), kept.begin() + excess);
  }
  if (kept.empty()) ::unlinkat(root_fd_, placed_dir_name, AT_REMOVEDIR); // only if it is empty
  return kept.size();
}

} // namespace tern_cp
