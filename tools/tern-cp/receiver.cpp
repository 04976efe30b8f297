// Receiver: one coroutine per stream. Content goes into a partial file
// (partial_file.hpp) that becomes the target only once size and SHA-256
// match the header; the result line tells the sender. A resume request
// first agrees on where the content starts.
#include "fd_guard.hpp"
#include "partial_file.hpp"
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

// Reads one line (without its newline) into `line`, keeping what follows in `buf`.
asio::awaitable<std::error_code> read_line(tern::byte_stream& s, std::string& buf, std::string& line) {
  auto [ec, n] = co_await asio::async_read_until(s, asio::dynamic_buffer(buf, max_header_line), '\n', tuple);
  if (ec) co_return ec;
  line = buf.substr(0, n - 1);
  buf.erase(0, n);
  co_return std::error_code();
}

// Answers a resume request: offers the kept prefix, learns where the
// sender starts, and leaves `hash` and `received` at that point. `cut_off`
// tells a lost stream (the prefix stays worth keeping) from a refusal.
asio::awaitable<std::string> agree_offset(tern::byte_stream& s, std::string& buf, const file_header& header,
                                          partial_file& partial, tern::crypto::sha256_hasher& hash,
                                          std::uint64_t& received, bool& cut_off) {
  std::string why, line;
  std::uint64_t kept = 0;
  if (!partial.measure(header.size, hash, kept, why)) co_return why;
  const std::string have = encode_have(kept, hex_digest(hash));
  if (auto [ec, n] = co_await asio::async_write(s, asio::buffer(have), tuple); ec) {
    cut_off = true;
    co_return "send: " + ec.message();
  }
  if (auto ec = co_await read_line(s, buf, line)) {
    cut_off = ec != asio::error::eof; // FIN instead of an offset is the sender's choice: refused
    co_return "no resume offset: " + ec.message();
  }
  const auto from = decode_from(line);
  if (!from || (*from != 0 && *from != kept)) co_return "bad resume offset";
  if (*from == 0 && kept != 0) {
    hash.reset(); // the sender's file starts otherwise: start over
    if (!partial.truncate(0, why)) co_return why;
  }
  received = *from;
  co_return std::string();
}

// Returns "" on success, otherwise why the file was refused.
asio::awaitable<std::string> receive_file(tern::byte_stream s, int root_fd, std::string& display) {
  std::string buf, line;
  if (auto ec = co_await read_line(s, buf, line)) co_return "no header: " + ec.message();
  const auto header = decode_header(line);
  if (!header) co_return "malformed header";
  display = header->path;

  std::vector<std::string> parts;
  std::string why;
  if (!split_relative_path(header->path, parts, why)) co_return why;
  std::error_code pec;
  fd_guard dir{open_parent_dir(root_fd, parts, pec)};
  if (dir.fd < 0) co_return "cannot open parent directory (symlink or permission?): " + pec.message();
  const auto partial = partial_file::open(dir.fd, parts.back(), !header->resume, why);
  if (!partial) co_return why;
  auto fail = [&](std::string reason) {
    partial->discard();
    return reason;
  };

  tern::crypto::sha256_hasher hash;
  std::uint64_t received = 0;
  if (header->resume) {
    bool cut_off = false;
    if (why = co_await agree_offset(s, buf, *header, *partial, hash, received, cut_off); !why.empty()) {
      if (!cut_off) co_return fail(why);
      partial->keep();
      co_return why + " (partial kept for --resume)";
    }
  }
  auto take = [&](const char* p, std::size_t n) -> bool {
    if (received + n > header->size) return why = "peer sent more bytes than its header said", false;
    hash.update(std::as_bytes(std::span{p, n}));
    received += n;
    return partial->append(p, n, why);
  };
  if (!take(buf.data(), buf.size())) co_return fail(why);
  std::array<char, 64 * 1024> chunk;
  for (;;) {
    auto [rec, n] = co_await s.async_read_some(asio::buffer(chunk), tuple);
    if (rec == asio::error::eof) break;
    if (rec) {
      // Cut off (connection lost, sender gone): what arrived is exactly
      // what the sender sent, so it is kept for --resume.
      partial->keep();
      co_return "interrupted after " + std::to_string(received) + " of " + std::to_string(header->size) +
          " bytes (kept for --resume): " + rec.message();
    }
    if (!take(chunk.data(), n)) co_return fail(why);
  }
  if (received != header->size)
    co_return fail("short file: " + std::to_string(received) + " of " + std::to_string(header->size) +
                   " bytes");
  if (hex_digest(hash) != header->sha256_hex) co_return fail("SHA-256 mismatch");
  if (!partial->commit(header->mode, why)) co_return fail(why);
  co_return std::string();
}

// What the streams of a serve share: the destination and the tally.
struct serve_state {
  fd_guard root;
  serve_summary summary;
};

asio::awaitable<void> handle_stream(tern::byte_stream s, std::shared_ptr<serve_state> st) {
  std::string display = "?";
  const std::string why = co_await receive_file(s, st->root.fd, display);
  if (why.empty())
    std::cerr << "tern-cp: received " << display << "\n";
  else
    std::cerr << "tern-cp: refused " << display << ": " << why << "\n";
  ++(why.empty() ? st->summary.received : st->summary.refused);
  // A refused file: tell the sender to stop, or its writes would wait
  // forever for flow-control credit this side will never grant.
  std::error_code ignored;
  if (!why.empty()) s.stop_reading(1, ignored);
  const std::string result = encode_result(why.empty(), why);
  auto [ec, n] = co_await asio::async_write(s, asio::buffer(result), tuple);
  (void)n;
  if (!ec) s.shutdown_send(ec);
}

asio::awaitable<void> serve_connection(tern::connection c, std::shared_ptr<serve_state> st) {
  for (;;) {
    auto [ec, s] = co_await c.async_accept_stream(tuple);
    if (ec) {
      std::cerr << "tern-cp: connection ended: " << ec.message() << "\n";
      co_return;
    }
    auto ex = co_await asio::this_coro::executor;
    asio::co_spawn(ex, handle_stream(std::move(s), st), asio::detached);
  }
}

} // namespace

asio::awaitable<serve_summary> serve(tern::endpoint& ep, receive_options options) {
  auto st = std::make_shared<serve_state>();
  st->root.fd = ::open(options.directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (st->root.fd < 0)
    throw std::system_error(errno, std::generic_category(), "cannot open directory " + options.directory);
  for (;;) {
    auto [ec, c] = co_await ep.async_accept(tuple);
    if (ec) co_return st->summary;
    if (options.once) {
      co_await serve_connection(std::move(c), st);
      ep.close();
      co_return st->summary;
    }
    auto ex = co_await asio::this_coro::executor;
    asio::co_spawn(ex, serve_connection(std::move(c), st), asio::detached);
  }
}

} // namespace tern_cp
