// Receiver: one coroutine per stream. Content goes into a
// DIR/.../.tern-partial-<name>-<stream> temp file, is fsynced, and renamed
// into place only once its SHA-256 matches the header; the result line
// tells the sender.
#include "protocol.hpp"
#include "safe_path.hpp"
#include "transfer.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/read_until.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <iostream>
#include <sys/stat.h>
#include <unistd.h>

namespace tern_cp {
namespace {

using asio::use_awaitable;
constexpr auto tuple = asio::experimental::as_tuple(use_awaitable);

struct fd_guard {
  int fd = -1;
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
};

bool write_all(int fd, const char* p, std::size_t n, std::string& why) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return why = std::string("write failed: ") + std::strerror(errno), false;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

// Returns "" on success, otherwise why the file was refused.
asio::awaitable<std::string> receive_file(tern::byte_stream s, int root_fd, std::string& display) {
  std::string buf;
  auto [ec, line_len] = co_await asio::async_read_until(s, asio::dynamic_buffer(buf, max_header_line), '\n', tuple);
  if (ec) co_return "no header: " + ec.message();
  const auto header = decode_header(std::string_view(buf).substr(0, line_len - 1));
  if (!header) co_return "malformed header";
  display = header->path;
  buf.erase(0, line_len);

  std::vector<std::string> parts;
  std::string why;
  if (!split_relative_path(header->path, parts, why)) co_return why;
  std::error_code pec;
  fd_guard dir{open_parent_dir(root_fd, parts, pec)};
  if (dir.fd < 0) co_return "cannot open parent directory (symlink or permission?): " + pec.message();

  const std::string temp = ".tern-partial-" + parts.back() + "-" + std::to_string(s.id());
  fd_guard out{::openat(dir.fd, temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600)};
  if (out.fd < 0) co_return "cannot create " + temp + ": " + std::strerror(errno);
  auto fail = [&](std::string reason) {
    ::unlinkat(dir.fd, temp.c_str(), 0);
    return reason;
  };

  sha256 hash;
  std::uint64_t received = 0;
  auto take = [&](const char* p, std::size_t n) -> bool {
    if (received + n > header->size) return why = "peer sent more bytes than its header said", false;
    hash.update(p, n);
    received += n;
    return write_all(out.fd, p, n, why);
  };
  if (!take(buf.data(), buf.size())) co_return fail(why);
  std::array<char, 64 * 1024> chunk;
  for (;;) {
    auto [rec, n] = co_await s.async_read_some(asio::buffer(chunk), tuple);
    if (rec == asio::error::eof) break;
    if (rec) co_return fail("stream ended: " + rec.message());
    if (!take(chunk.data(), n)) co_return fail(why);
  }
  if (received != header->size)
    co_return fail("short file: " + std::to_string(received) + " of " + std::to_string(header->size) + " bytes");
  if (hash.hex_digest() != header->sha256_hex) co_return fail("SHA-256 mismatch");
  if (::fsync(out.fd) != 0) co_return fail(std::string("fsync failed: ") + std::strerror(errno));
  ::fchmod(out.fd, header->mode & 0777);
  if (::renameat(dir.fd, temp.c_str(), dir.fd, parts.back().c_str()) != 0)
    co_return fail(std::string("rename failed: ") + std::strerror(errno));
  ::fsync(dir.fd);
  co_return std::string();
}

asio::awaitable<void> handle_stream(tern::byte_stream s, std::shared_ptr<fd_guard> root) {
  std::string display = "?";
  const std::string why = co_await receive_file(s, root->fd, display);
  if (why.empty()) std::cerr << "tern-cp: received " << display << "\n";
  else std::cerr << "tern-cp: refused " << display << ": " << why << "\n";
  // A refused file: tell the sender to stop, or its writes would wait
  // forever for flow-control credit this side will never grant.
  std::error_code ignored;
  if (!why.empty()) s.stop_reading(1, ignored);
  const std::string result = encode_result(why.empty(), why);
  auto [ec, n] = co_await asio::async_write(s, asio::buffer(result), tuple);
  (void)n;
  if (!ec) s.shutdown_send(ec);
}

asio::awaitable<void> serve_connection(tern::connection c, std::shared_ptr<fd_guard> root) {
  for (;;) {
    auto [ec, s] = co_await c.async_accept_stream(tuple);
    if (ec) {
      std::cerr << "tern-cp: connection ended: " << ec.message() << "\n";
      co_return;
    }
    auto ex = co_await asio::this_coro::executor;
    asio::co_spawn(ex, handle_stream(std::move(s), root), asio::detached);
  }
}

} // namespace

asio::awaitable<void> serve(tern::endpoint& ep, receive_options options) {
  auto root = std::make_shared<fd_guard>();
  root->fd = ::open(options.directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root->fd < 0)
    throw std::system_error(errno, std::generic_category(), "cannot open directory " + options.directory);
  for (;;) {
    auto [ec, c] = co_await ep.async_accept(tuple);
    if (ec) co_return;
    if (options.once) {
      co_await serve_connection(std::move(c), root);
      ep.close();
      co_return;
    }
    auto ex = co_await asio::this_coro::executor;
    asio::co_spawn(ex, serve_connection(std::move(c), root), asio::detached);
  }
}

} // namespace tern_cp
