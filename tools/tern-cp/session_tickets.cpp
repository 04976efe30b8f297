#include "session_tickets.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

namespace tern_cp {
namespace {

/// Longest ticket file read (a tern ticket is a few KiB at most).
constexpr std::size_t max_ticket_file = 16 * 1024;

/// "HOST:PORT" as a file name: hex, so no host name can escape the
/// directory or collide with another.
std::string file_name(const std::string& host_key) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (const unsigned char c : host_key) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

} // namespace

std::string tickets_dir(const std::string& known_hosts) {
  const auto parent = std::filesystem::path(known_hosts).parent_path();
  return (parent.empty() ? std::filesystem::path("tickets") : parent / "tickets").string();
}

std::vector<std::byte> load_ticket(const std::string& dir, const std::string& host_key) {
  const std::string path = dir + "/" + file_name(host_key);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return {};
  std::vector<std::byte> ticket(max_ticket_file + 1);
  std::size_t got = 0;
  while (got < ticket.size()) {
    const ssize_t n = ::read(fd, ticket.data() + got, ticket.size() - got);
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (got > max_ticket_file) return {};
  ticket.resize(got);
  return ticket;
}

bool store_ticket(const std::string& dir, const std::string& host_key, const std::vector<std::byte>& ticket) {
  if (ticket.empty()) return false;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  (void)::chmod(dir.c_str(), 0700);
  const std::string path = dir + "/" + file_name(host_key);
  const std::string temporary = path + ".new";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return false;
  bool ok = ::fchmod(fd, 0600) == 0;
  std::size_t put = 0;
  while (ok && put < ticket.size()) {
    const ssize_t n = ::write(fd, ticket.data() + put, ticket.size() - put);
    ok = n > 0;
    if (ok) put += static_cast<std::size_t>(n);
  }
  ok = ::close(fd) == 0 && ok;
  if (ok) ok = std::rename(temporary.c_str(), path.c_str()) == 0;
  if (!ok) (void)std::remove(temporary.c_str());
  return ok;
}

} // namespace tern_cp
