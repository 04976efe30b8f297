// Receiver: one coroutine per stream. Before anything is opened, the file
// takes a place in the open-file budget (open_file_budget.hpp), so a
// client cannot exhaust the process's descriptors. Content goes into a
// partial file (partial_file.hpp) in a folder no sender can name, keyed by
// the client's identity and the path; it becomes the target only once size
// and SHA-256 match the header, with the sender's mode masked, and never
// over an existing file unless serve --overwrite. Every read has the
// stream timeout: a stream that goes silent gives its place back. A
// refused file leaves nothing behind: no partial, no folder made for it.
// The result line tells the sender. A resume request first agrees on where
// the content starts. A placed file is recorded (placement_record.hpp): the
// same client announcing the same content again (its retry, after a
// connection cut before the OK arrived) is told it is already complete.
#include "fd_guard.hpp"
#include "open_file_budget.hpp"
#include "partial_file.hpp"
#include "peer_text.hpp"
#include "placement_record.hpp"
#include "protocol.hpp"
#include "safe_path.hpp"
#include "transfer.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/read_until.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace tern_cp {
namespace {

using asio::use_awaitable;
using namespace asio::experimental::awaitable_operators;
constexpr auto tuple = asio::experimental::as_tuple(use_awaitable);
using read_result = std::tuple<std::error_code, std::size_t>;

// What the streams of a serve share: the destination, the limits and the tally.
struct serve_state {
  fd_guard root;
  std::uint32_t umask = 022;
  bool overwrite = false;
  std::chrono::milliseconds stream_timeout{60000};
  std::string timeout_text; ///< "60 s", for reasons
  open_file_budget budget{open_file_limits{}};
  std::optional<placement_log> placements; ///< of `root`, once it is open
  /// Each client key's share of the budget, alive while one of its
  /// connections is: a client does not get more by connecting again.
  std::map<std::string, std::weak_ptr<open_file_budget::client_share>> shares;
  serve_summary summary;

  std::shared_ptr<open_file_budget::client_share> share_of(const std::string& client) {
    std::erase_if(shares, [](const auto& kv) { return kv.second.expired(); });
    auto& weak = shares[client];
    auto share = weak.lock();
    if (!share) weak = share = std::make_shared<open_file_budget::client_share>();
    return share;
  }
};

// One stream's context: the serve's state and its client's part.
struct stream_context {
  tern::connection conn;
  std::shared_ptr<serve_state> st;
  std::shared_ptr<open_file_budget::client_share> share;
  std::string owner; ///< the client's key fingerprint, as the handshake proved it
};

// Ends `op` with asio::error::timed_out if it has not completed within the
// stream timeout (it is then cancelled).
template <class Op>
asio::awaitable<read_result> within(const serve_state& st, Op op) {
  asio::steady_timer timer(co_await asio::this_coro::executor, st.stream_timeout);
  auto r = co_await (std::move(op) || timer.async_wait(tuple));
  if (r.index() == 1) co_return read_result{asio::error::timed_out, 0};
  co_return std::get<0>(std::move(r));
}

std::string timeout_reason(const serve_state& st) { return "nothing received for " + st.timeout_text; }

const std::string exists_reason = "exists: the receiver does not overwrite (serve --overwrite does)";

std::int64_t unix_now() { return static_cast<std::int64_t>(std::time(nullptr)); }

// Reads one line (without its newline) into `line`, keeping what follows in `buf`.
asio::awaitable<std::error_code> read_line(tern::byte_stream& s, const serve_state& st, std::string& buf,
                                           std::string& line) {
  auto [ec, n] =
      co_await within(st, asio::async_read_until(s, asio::dynamic_buffer(buf, max_header_line), '\n', tuple));
  if (ec) co_return ec;
  line = buf.substr(0, n - 1);
  buf.erase(0, n);
  co_return std::error_code();
}

// Answers a resume request: offers the kept prefix, learns where the
// sender starts, and leaves `hash` and `received` at that point. `cut_off`
// tells a lost stream (the prefix stays worth keeping) from a refusal.
asio::awaitable<std::string> agree_offset(tern::byte_stream& s, const serve_state& st, std::string& buf,
                                          const file_header& header, partial_file& partial,
                                          tern::crypto::sha256_hasher& hash, std::uint64_t& received,
                                          bool& cut_off) {
  std::string why, line;
  std::uint64_t kept = 0;
  if (!partial.measure(header.size, hash, kept, why)) co_return why;
  const std::string have = encode_have(kept, hex_digest(hash));
  if (auto [ec, n] = co_await asio::async_write(s, asio::buffer(have), tuple); ec) {
    cut_off = true;
    co_return "send: " + ec.message();
  }
  if (auto ec = co_await read_line(s, st, buf, line)) {
    cut_off = ec != asio::error::eof; // FIN instead of an offset is the sender's choice: refused
    co_return ec == asio::error::timed_out ? "no resume offset: " + timeout_reason(st)
                                           : "no resume offset: " + ec.message();
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

// A resume request for a file this client placed earlier, unchanged since:
// the whole file is offered as kept, so the sender (any version) answers
// FROM <size>, sends nothing, and hears OK.
asio::awaitable<std::string> confirm_placed(tern::byte_stream& s, const serve_state& st, std::string& buf,
                                            const file_header& header) {
  const std::string have = encode_have(header.size, header.sha256_hex);
  if (auto [ec, n] = co_await asio::async_write(s, asio::buffer(have), tuple); ec)
    co_return "send: " + ec.message();
  std::string line;
  if (auto ec = co_await read_line(s, st, buf, line))
    co_return ec == asio::error::timed_out ? "no resume offset: " + timeout_reason(st)
                                           : "no resume offset: " + ec.message();
  const auto from = decode_from(line);
  if (!from) co_return "bad resume offset";
  if (*from != header.size) co_return exists_reason; // it would send the file again: it is there
  if (!buf.empty()) co_return "peer sent more bytes than its header said";
  std::array<char, 1> probe;
  auto [ec, n] = co_await within(st, s.async_read_some(asio::buffer(probe), tuple));
  if (ec == asio::error::eof) co_return std::string();
  if (!ec) co_return "peer sent more bytes than its header said";
  co_return ec == asio::error::timed_out ? timeout_reason(st) : "interrupted: " + ec.message();
}

// Returns "" on success, otherwise why the file was refused. `note` says
// how a success came about when it is not the usual one.
asio::awaitable<std::string> receive_file(tern::byte_stream& s, const stream_context& ctx, std::string& display,
                                          std::string& note) {
  serve_state& st = *ctx.st;
  std::string buf, line;
  if (auto ec = co_await read_line(s, st, buf, line))
    co_return ec == asio::error::timed_out ? "no header: " + timeout_reason(st)
                                           : "no header: " + ec.message();
  const auto header = decode_header(line);
  if (!header) co_return "malformed header";
  display = header->path;
  // Early data (0-RTT) may be a replay: only a resume request, which this
  // side answers without writing anything, is served before the
  // handshake completes; its offset and content arrive after it. A header
  // that would write at once waits for the handshake.
  if (!header->resume && !ctx.conn.handshake_complete()) {
    tern::connection conn = ctx.conn;
    if (auto [hec] = co_await conn.async_wait_handshake(tuple); hec) co_return "handshake: " + hec.message();
  }

  std::vector<std::string> parts;
  std::string why;
  if (!split_relative_path(header->path, parts, why)) co_return why;
  // From here on this file holds descriptors: it needs a place first.
  const open_file_budget::slot slot = st.budget.try_acquire(ctx.share, why);
  if (!slot) co_return why;

  std::error_code pec;
  std::size_t created_from = parts.size() - 1;
  // Whether the target exists as this client placed it, with this content
  // (placement_record.hpp): asked when the header arrives and again
  // before anything is put in place.
  auto placed_by_this_client = [&](int dir_fd) {
    struct stat sb {};
    return st.placements && ::fstatat(dir_fd, parts.back().c_str(), &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
           already_placed(st.placements->find(ctx.owner, header->path), *header, sb, unix_now(),
                          st.placements->bounds().max_age);
  };
  bool placed = false;
  {
    fd_guard dir{open_parent_dir(st.root.fd, parts, pec, &created_from)};
    if (dir.fd < 0) co_return "cannot open parent directory (symlink or permission?): " + pec.message();
    // Refused before any content is sent: the rename into a folder this
    // process cannot write would only fail at the end.
    if (::faccessat(dir.fd, ".", W_OK | X_OK, AT_EACCESS) != 0) {
      const int err = errno;
      remove_created_dirs(st.root.fd, parts, created_from);
      co_return std::string("cannot write the parent directory: ") + std::strerror(err);
    }
    struct stat sb {};
    placed = placed_by_this_client(dir.fd);
    if (!placed && !st.overwrite && ::fstatat(dir.fd, parts.back().c_str(), &sb, AT_SYMLINK_NOFOLLOW) == 0) {
      remove_created_dirs(st.root.fd, parts, created_from);
      co_return exists_reason;
    }
  }
  if (placed && header->resume) {
    note = "already complete";
    co_return co_await confirm_placed(s, st, buf, *header);
  }
  const auto partial = partial_file::open(st.root.fd, ctx.owner, header->path, !header->resume, why);
  if (!partial) {
    remove_created_dirs(st.root.fd, parts, created_from);
    co_return why;
  }
  auto fail = [&](std::string reason) {
    partial->discard();
    remove_created_dirs(st.root.fd, parts, created_from);
    return reason;
  };
  // Cut off (connection lost, sender gone or silent): what arrived is
  // exactly what the sender sent, so it is kept for --resume; an empty
  // partial is not worth keeping and leaves nothing. The folders made for
  // the file go either way (empty: the partial lives elsewhere).
  auto cut_off = [&](std::string reason) {
    const bool kept = partial->keep();
    remove_created_dirs(st.root.fd, parts, created_from);
    return reason + (kept ? " (partial kept for --resume)" : " (nothing kept)");
  };

  tern::crypto::sha256_hasher hash;
  std::uint64_t received = 0;
  if (header->resume) {
    bool lost = false;
    if (why = co_await agree_offset(s, st, buf, *header, *partial, hash, received, lost); !why.empty())
      co_return lost ? cut_off(why) : fail(why);
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
    auto [rec, n] = co_await within(st, s.async_read_some(asio::buffer(chunk), tuple));
    if (rec == asio::error::eof) break;
    if (rec) {
      const std::string progress =
          "after " + std::to_string(received) + " of " + std::to_string(header->size) + " bytes";
      if (rec == asio::error::timed_out) co_return cut_off(timeout_reason(st) + " " + progress);
      co_return cut_off("interrupted " + progress + ": " + rec.message());
    }
    if (!take(chunk.data(), n)) co_return fail(why);
  }
  if (received != header->size)
    co_return fail("short file: " + std::to_string(received) + " of " + std::to_string(header->size) +
                   " bytes");
  if (hex_digest(hash) != header->sha256_hex) co_return fail("SHA-256 mismatch");
  // The parent again: a sibling's refusal may have removed a folder this
  // file needs (empty while its content sat in the partial folder).
  std::size_t created_again = parts.size() - 1;
  fd_guard dir{open_parent_dir(st.root.fd, parts, pec, &created_again)};
  created_from = std::min(created_from, created_again);
  if (dir.fd < 0) co_return fail("cannot open parent directory: " + pec.message());
  if (placed && !st.overwrite && placed_by_this_client(dir.fd)) {
    // Sent again without --resume: the content was verified, and the file
    // in place already is it.
    partial->discard();
    note = "already complete";
    co_return std::string();
  }
  if (!partial->commit(dir.fd, parts.back(), masked_mode(header->mode, st.umask), st.overwrite, why))
    co_return fail(why);
  struct stat sb {};
  if (st.placements && partial->stat(sb)) {
    const std::int64_t now = unix_now();
    if (!st.placements->record(ctx.owner, header->path, describe_placement(sb, header->sha256_hex, now), now, why))
      std::cerr << "tern-cp: " << why << " (a retry of " << escape_peer_text(header->path)
                << " will hear `exists`)\n";
  }
  co_return std::string();
}

asio::awaitable<void> handle_stream(tern::byte_stream s, stream_context ctx) {
  std::string display = "?", note;
  const std::string why = co_await receive_file(s, ctx, display, note);
  if (why.empty())
    std::cerr << "tern-cp: received " << escape_peer_text(display) << (note.empty() ? "" : " (" + note + ")")
              << "\n";
  else
    std::cerr << "tern-cp: refused " << escape_peer_text(display) << ": " << escape_peer_text(why) << "\n";
  ++(why.empty() ? ctx.st->summary.received : ctx.st->summary.refused);
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
  // A connection with early data comes before its handshake completes; the
  // client's key is the one its ticket was issued to, known already when
  // the session resumed. Without it, wait for the handshake's proof.
  if (c.peer_fingerprint().empty() && !c.handshake_complete()) {
    if (auto [hec] = co_await c.async_wait_handshake(tuple); hec) {
      std::cerr << "tern-cp: connection ended: " << hec.message() << "\n";
      co_return;
    }
  }
  const std::string client = c.peer_fingerprint();
  const stream_context ctx{c, st, st->share_of(client), client};
  for (;;) {
    auto [ec, s] = co_await c.async_accept_stream(tuple);
    if (ec) {
      std::cerr << "tern-cp: connection ended: " << ec.message() << "\n";
      co_return;
    }
    auto ex = co_await asio::this_coro::executor;
    asio::co_spawn(ex, handle_stream(std::move(s), ctx), asio::detached);
  }
}

} // namespace

asio::awaitable<serve_summary> serve(tern::endpoint& ep, receive_options options) {
  auto st = std::make_shared<serve_state>();
  st->root.fd = ::open(options.directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (st->root.fd < 0)
    throw std::system_error(errno, std::generic_category(), "cannot open directory " + options.directory);
  // The umask cannot be read without setting it; set it straight back.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  st->umask = mask;
  st->placements.emplace(st->root.fd, placement_log::limits{});
  st->overwrite = options.overwrite;
  st->stream_timeout = std::chrono::milliseconds(std::llround(options.stream_timeout_seconds * 1000));
  std::ostringstream t;
  t << options.stream_timeout_seconds << " s";
  st->timeout_text = t.str();
  st->budget = open_file_budget(limits_for(raise_nofile_limit()));
  const auto& l = st->budget.limits();
  std::cerr << "tern-cp: at most " << l.total << " files in transfer, " << l.per_client
            << " per client key (RLIMIT_NOFILE " << l.nofile << "); stream timeout " << st->timeout_text
            << "\n";
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
