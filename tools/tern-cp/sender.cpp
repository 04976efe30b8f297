// Sender: collect_sources walks the sources; send_all's `parallel` workers
// each take the next file, open a stream, send header + content, finish the
// stream and wait for the receiver's result line. Only files answered "OK" count as confirmed.
// With --resume, each file first agrees with the receiver where to start.
#include "fd_guard.hpp"
#include "progress.hpp"
#include "protocol.hpp"
#include "transfer.hpp"

#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/read_until.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <memory>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tern_cp {
namespace {

namespace fs = std::filesystem;
using asio::use_awaitable;
constexpr auto tuple = asio::experimental::as_tuple(use_awaitable);

} // namespace

std::vector<source_file> collect_sources(const std::vector<std::string>& sources,
                                         std::vector<std::string>& failures) {
  std::vector<source_file> files;
  for (const auto& src : sources) {
    std::error_code ec;
    const fs::path p(src);
    const auto st = fs::symlink_status(p, ec);
    if (ec) {
      failures.push_back(src + ": " + ec.message());
      continue;
    }
    const std::string base = p.lexically_normal().filename().empty()
                                 ? p.lexically_normal().parent_path().filename()
                                 : p.lexically_normal().filename();
    if (fs::is_regular_file(st)) {
      files.push_back({src, base});
    } else if (fs::is_directory(st)) {
      for (auto it = fs::recursive_directory_iterator(p, ec); !ec && it != fs::recursive_directory_iterator();
           it.increment(ec)) {
        const auto est = it->symlink_status();
        if (fs::is_symlink(est))
          failures.push_back(it->path().string() + ": symlink skipped");
        else if (fs::is_regular_file(est))
          files.push_back(
              {it->path().string(), (fs::path(base) / fs::relative(it->path(), p)).generic_string()});
      }
      if (ec) failures.push_back(src + ": " + ec.message());
    } else {
      failures.push_back(src + ": not a regular file or directory");
    }
  }
  return files;
}

namespace {

bool hash_file(int fd, std::string& hex, std::string& why) {
  tern::crypto::sha256_hasher h;
  std::array<char, 64 * 1024> buf;
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return why = std::string("read error: ") + std::strerror(errno), false;
    if (n == 0) break;
    h.update(std::as_bytes(std::span{buf.data(), static_cast<std::size_t>(n)}));
  }
  hex = hex_digest(h);
  return ::lseek(fd, 0, SEEK_SET) == 0 || (why = "cannot rewind", false);
}

std::size_t terminal_width() {
  struct winsize ws {};
  return ::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 ? ws.ws_col : 80;
}

struct shared_state {
  std::vector<source_file> files;
  std::size_t next = 0;
  send_summary summary;
  std::uint64_t rate_limit = 0;
  bool resume = false;
  std::uint64_t paced_bytes = 0;
  std::uint64_t total_bytes = 0; ///< of all files, for the progress line
  std::uint64_t done_bytes = 0;  ///< written or already held by the receiver
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
};

// Waits until writing `n` more bytes keeps the average at or under the limit.
asio::awaitable<void> pace(shared_state& st, std::size_t n) {
  if (st.rate_limit == 0) co_return;
  st.paced_bytes += n;
  const auto due = st.start + std::chrono::nanoseconds(static_cast<std::int64_t>(
                                  double(st.paced_bytes) * 1e9 / double(st.rate_limit)));
  if (due <= std::chrono::steady_clock::now()) co_return;
  asio::steady_timer t(co_await asio::this_coro::executor, due);
  co_await t.async_wait(tuple);
}

// SHA-256 of the first `n` bytes of `fd` (then rewound to 0); false if the
// file is shorter or unreadable.
bool prefix_hash(int fd, std::uint64_t n, std::string& hex) {
  tern::crypto::sha256_hasher h;
  std::array<char, 64 * 1024> buf;
  std::uint64_t done = 0;
  while (done < n) {
    const ssize_t r =
        ::pread(fd, buf.data(), static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), n - done)),
                static_cast<off_t>(done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    h.update(std::as_bytes(std::span{buf.data(), static_cast<std::size_t>(r)}));
    done += static_cast<std::uint64_t>(r);
  }
  hex = hex_digest(h);
  return true;
}

// --resume: learns what the receiver kept and answers where the content
// starts: after the kept prefix if it is this file's, else at 0. The file
// offset is moved there.
asio::awaitable<std::string> agree_offset(tern::byte_stream& s, int fd, std::uint64_t size,
                                          std::uint64_t& offset) {
  std::string reply, their_hash, our_hash;
  auto [ec, len] =
      co_await asio::async_read_until(s, asio::dynamic_buffer(reply, max_header_line), '\n', tuple);
  if (ec) co_return "no resume answer from receiver: " + ec.message();
  const std::string_view line = std::string_view(reply).substr(0, len - 1);
  std::string why;
  const auto kept = decode_have(line, their_hash);
  if (!kept) co_return decode_result(line, why) ? "malformed resume answer" : "receiver refused: " + why;
  offset = *kept <= size && prefix_hash(fd, *kept, our_hash) && our_hash == their_hash ? *kept : 0;
  if (::lseek(fd, static_cast<off_t>(offset), SEEK_SET) < 0) co_return "cannot seek";
  const std::string from = encode_from(offset);
  if (auto [wec, n] = co_await asio::async_write(s, asio::buffer(from), tuple); wec)
    co_return "send: " + wec.message();
  co_return std::string();
}

asio::awaitable<std::string> send_file(tern::connection& c, const source_file& f, shared_state& st) {
  fd_guard in{::open(f.local.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW)};
  if (in.fd < 0) co_return std::string("cannot open: ") + std::strerror(errno);
  struct stat sb {};
  if (::fstat(in.fd, &sb) != 0 || !S_ISREG(sb.st_mode)) co_return "not a regular file";
  file_header h;
  h.path = f.relative;
  h.size = static_cast<std::uint64_t>(sb.st_size);
  h.mode = sb.st_mode & 0777;
  h.resume = st.resume;
  std::string why;
  if (!hash_file(in.fd, h.sha256_hex, why)) co_return why;

  // A resume request is a question (what do you hold of this file?) that
  // writes nothing at the receiver, so it may travel as early data on a
  // connection that offers it (--retries): a replay of it changes nothing
  // (docs/tern-cp.md, "Resumption"). Everything after it waits for the
  // handshake; a file sent without --resume never goes early.
  auto [oec, s] = co_await c.async_open_stream(tern::stream_options{.allow_early = h.resume}, tuple);
  if (oec) co_return "cannot open stream: " + oec.message();
  const std::string line = encode_header(h);
  if (auto [ec, n] = co_await asio::async_write(s, asio::buffer(line), tuple); ec)
    co_return "send: " + ec.message();
  std::uint64_t sent = 0;
  if (h.resume) {
    // The answer comes with the server's handshake flight: awaiting the
    // handshake here costs nothing, and keeps the offset and the content
    // (which do write) out of 0-RTT.
    if (auto [hec] = co_await c.async_wait_handshake(tuple); hec) co_return "handshake: " + hec.message();
    if (why = co_await agree_offset(s, in.fd, h.size, sent); !why.empty()) {
      s.reset(1, oec);
      co_return why;
    }
  }
  const std::uint64_t skipped = sent;
  st.done_bytes += skipped;
  std::array<char, 64 * 1024> buf;
  while (sent < h.size) {
    const ssize_t n = ::read(in.fd, buf.data(),
                             static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), h.size - sent)));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      s.reset(1, oec);
      co_return std::string("read error: ") + std::strerror(errno);
    }
    if (n == 0) {
      s.reset(1, oec);
      co_return "file shrank while sending";
    }
    co_await pace(st, static_cast<std::size_t>(n));
    if (auto [ec, w] =
            co_await asio::async_write(s, asio::buffer(buf.data(), static_cast<std::size_t>(n)), tuple);
        ec) {
      // The receiver stopped us (it refused the file): its result line says why.
      std::string reply;
      auto [rec, len] = co_await asio::async_read_until(s, asio::dynamic_buffer(reply, 4096), '\n', tuple);
      if (!rec && !decode_result(std::string_view(reply).substr(0, len - 1), why))
        co_return "receiver refused: " + why;
      co_return "send: " + ec.message();
    }
    sent += static_cast<std::uint64_t>(n);
    st.done_bytes += static_cast<std::uint64_t>(n);
  }
  s.shutdown_send(oec);
  std::string reply;
  auto [rec, len] = co_await asio::async_read_until(s, asio::dynamic_buffer(reply, 4096), '\n', tuple);
  if (rec) co_return "no result from receiver: " + rec.message();
  if (!decode_result(std::string_view(reply).substr(0, len - 1), why)) co_return "receiver refused: " + why;
  st.summary.bytes += h.size - skipped;
  st.summary.resumed_bytes += skipped;
  co_return std::string();
}

void show_progress(const tern::connection& c, const shared_state& st, rate_meter& meter) {
  const auto stats = c.stats();
  progress_sample p;
  p.done = st.done_bytes;
  p.total = st.total_bytes;
  p.bytes_per_second = meter.update(
      st.done_bytes, std::chrono::duration<double>(std::chrono::steady_clock::now() - st.start).count());
  p.rtt_ms = std::chrono::duration<double, std::milli>(stats.srtt).count();
  p.loss_percent = stats.packets_sent ? 100.0 * double(stats.packets_lost) / double(stats.packets_sent) : 0;
  // \r and erase-to-end-of-line: the line is redrawn in place.
  std::fprintf(stderr, "\r%s\x1b[K", format_progress(p, terminal_width()).c_str());
  std::fflush(stderr);
}

asio::awaitable<void> worker(tern::connection c, std::shared_ptr<shared_state> st) {
  while (st->next < st->files.size()) {
    const source_file& f = st->files[st->next++];
    const std::string why = co_await send_file(c, f, *st);
    if (why.empty())
      ++st->summary.confirmed;
    else
      st->summary.failures.push_back({f, why});
  }
}

} // namespace

asio::awaitable<send_summary> send_all(tern::connection c, send_options options) {
  auto st = std::make_shared<shared_state>();
  st->rate_limit = options.rate_limit;
  st->resume = options.resume;
  st->files = std::move(options.files);
  for (const auto& f : st->files) {
    std::error_code ec;
    if (const auto n = fs::file_size(f.local, ec); !ec) st->total_bytes += n;
  }
  auto ex = co_await asio::this_coro::executor;
  const std::size_t workers = std::min(std::max<std::size_t>(1, options.parallel), st->files.size());
  std::size_t done = 0;
  // Wakes for the progress line, and at once when the last worker ends
  // (its completion can only run while this coroutine waits, so the
  // cancel always finds the wait).
  asio::steady_timer tick(ex);
  for (std::size_t i = 0; i < workers; ++i)
    asio::co_spawn(ex, worker(c, st), [&done, &tick, workers](std::exception_ptr) {
      if (++done == workers) tick.cancel();
    });
  rate_meter meter;
  while (done < workers) {
    tick.expires_after(std::chrono::milliseconds(250));
    co_await tick.async_wait(tuple);
    if (options.progress) show_progress(c, *st, meter);
  }
  if (options.progress && workers > 0) std::fprintf(stderr, "\n");
  st->summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - st->start).count();
  co_return st->summary;
}

} // namespace tern_cp
