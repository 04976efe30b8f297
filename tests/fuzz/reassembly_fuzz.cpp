// Fuzzes stream and message reassembly through their public interfaces
// (stream::recv_stream, stream::message_receiver; never range_set directly,
// which is an implementation detail), each against a model. The first input
// byte picks the target (even: recv_stream, odd: message_receiver); the rest
// is a program of at most `max_ops` operations.
//
// The peer is honest about content and free about everything else: the byte
// at stream offset o is always content(o) and the byte at offset o of
// message m is content(m * 977 + o), so whatever is delivered can be checked
// byte for byte, while offsets, lengths, FINs, final sizes, duplicates,
// overlaps, order, ids and abandons are the input's.
//
// recv_stream, checked: every read delivers exactly the bytes from the read
// offset that the model holds contiguously (up to the read's size), equal to
// content(); fin exactly at the final size; on_data fails exactly when the
// RFC 9000 rules say (beyond the advertised limit, 2^62-1 or the connection
// credit; past or moving a known final size; a FIN below data received),
// failing frames commit nothing; limits never shrink.
//
// message_receiver, checked: events come strictly in id order with no id
// skipped or repeated; a delivered message has the length its fragments
// gave and content() bytes, and every one of its bytes was sent in an
// accepted fragment; an error is returned only for a fragment outside its
// length or with a length that differs from an earlier fragment's; what is
// buffered stays within the configured budget.
//
// The model does no per-byte work (instrumented per-byte loops were most of
// an input's time): content bytes are views into one table, compared with
// memcmp, and received offsets are byte maps marked with fill and searched
// with memchr.
//
// Seeds: tests/fuzz/corpus/reassembly/.

#include "stream/message_receiver.hpp"
#include "stream/recv_stream.hpp"
#include "stream/stream_errc.hpp"
#include "stream/stream_id.hpp"

#include <tern/time.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <span>
#include <system_error>
#include <vector>

namespace {

using namespace tern;
using namespace tern::stream;
using namespace std::chrono_literals;

constexpr std::size_t max_ops = 256;
/// Longest frame or fragment the program sends, bytes.
constexpr std::size_t max_chunk = 2048;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "reassembly_fuzz: %s\n", what);
  std::abort();
}

void check(bool ok, const char* what) {
  if (!ok) fail(what);
}

std::byte content(std::uint64_t offset) noexcept {
  return static_cast<std::byte>((offset * 0x9e37) ^ (offset >> 9) ^ 0x5a);
}

/// content() reads bits 0-16 of the offset only, so it repeats every
/// content_period offsets (uint64 wrap-around included, 2^64 being a
/// multiple of it).
constexpr std::size_t content_period = std::size_t{1} << 17;
/// The longest run content_run() gives: at least max_chunk, the longest read
/// (255 * 16 + 1) and the largest message (message_receiver_config below).
constexpr std::size_t max_content_run = 16 * 1024;

/// content(from), content(from + 1), ... for n bytes, as a view.
std::span<const std::byte> content_run(std::uint64_t from, std::size_t n) {
  static const std::vector<std::byte> table = [] {
    std::vector<std::byte> t(content_period + max_content_run);
    for (std::size_t i = 0; i < t.size(); ++i) t[i] = content(i);
    return t;
  }();
  if (n > max_content_run) fail("content_run: a run longer than the table");
  return std::span<const std::byte>(table).subspan(static_cast<std::size_t>(from % content_period), n);
}

bool is_content(std::span<const std::byte> bytes, std::uint64_t from) {
  return bytes.empty() || std::memcmp(bytes.data(), content_run(from, bytes.size()).data(), bytes.size()) == 0;
}

/// A byte map of received offsets: 1 where a byte arrived.
using offset_map = std::vector<std::uint8_t>;

void mark(offset_map& have, std::uint64_t begin, std::uint64_t end) {
  if (have.size() < end) have.resize(static_cast<std::size_t>(end), 0);
  std::fill(have.begin() + static_cast<std::ptrdiff_t>(begin), have.begin() + static_cast<std::ptrdiff_t>(end),
            std::uint8_t{1});
}

/// How many offsets from `from` on, at most `max`, all arrived.
std::size_t contiguous(const offset_map& have, std::uint64_t from, std::size_t max) {
  if (from >= have.size()) return 0;
  const std::size_t n = std::min<std::size_t>(max, have.size() - static_cast<std::size_t>(from));
  const void* hole = std::memchr(have.data() + from, 0, n);
  return hole ? static_cast<std::size_t>(static_cast<const std::uint8_t*>(hole) - (have.data() + from)) : n;
}

class input {
public:
  input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  bool empty() const noexcept { return pos_ >= size_; }
  std::uint8_t byte() noexcept { return pos_ < size_ ? data_[pos_++] : 0; }
  std::uint64_t uint(int bytes) noexcept {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v |= std::uint64_t{byte()} << (8 * i);
    return v;
  }

private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

// --- recv_stream ------------------------------------------------------------

/// An offset: mostly small (overlaps are likely), sometimes near the
/// window, sometimes near 2^62.
std::uint64_t stream_offset(input& in) {
  const std::uint8_t kind = in.byte();
  switch (kind & 3) {
  case 0:
  case 1: return in.uint(1) * 8 + (kind >> 2);
  case 2: return in.uint(3) & 0x7ffff;
  default: return max_varint - in.uint(2);
  }
}

void fuzz_recv_stream(input& in) {
  window_config cfg;
  cfg.initial = 64 * 1024;
  cfg.max = 256 * 1024;
  recv_stream s{cfg};

  offset_map have; // model: bytes received at each offset (below `final` or the limit)
  std::uint64_t highest = 0;
  std::uint64_t read_offset = 0;
  std::optional<std::uint64_t> final_size;
  std::uint64_t limit = s.window().limit();
  bool reset = false;
  bool stopped = false;
  bool fin_read = false;
  time_point now{};
  std::vector<std::byte> out;

  for (std::size_t op = 0; op < max_ops && !in.empty(); ++op) {
    const std::uint8_t what = in.byte();
    switch (what & 7) {
    case 0:
    case 1:
    case 2: { // STREAM frame
      const std::uint64_t offset = stream_offset(in);
      const std::size_t n = std::min<std::size_t>(in.uint(2) & 0xfff, max_chunk);
      const bool fin = what & 0x10;
      const std::uint64_t credit = (what & 0x20) ? in.uint(2) : UINT64_MAX;
      const auto chunk = content_run(offset, n);
      const bool overflow = offset > max_varint || n > max_varint - offset;
      const std::uint64_t end = overflow ? 0 : offset + n;
      const bool final_bad =
          !overflow && ((final_size && (end > *final_size || (fin && end != *final_size))) || (fin && end < highest));
      const bool flow_bad = overflow || (!reset && (end > limit || (end > highest && end - highest > credit)));
      const auto r = s.on_data(offset, chunk, fin, credit);
      if (!final_bad && !flow_bad) {
        check(!r.error, "on_data refused a legal frame");
      } else if (final_bad && !flow_bad) {
        check(r.error == stream_errc::final_size_error, "on_data missed a final size error");
      } else if (flow_bad && !final_bad) {
        check(r.error == stream_errc::flow_control_error, "on_data missed a flow control error");
      } else {
        check(r.error == stream_errc::final_size_error || r.error == stream_errc::flow_control_error,
              "on_data missed an error");
      }
      if (r.error) {
        check(r.credit_used == 0, "a failed frame used credit");
        break;
      }
      if (!reset) {
        check(r.credit_used == (end > highest ? end - highest : 0), "credit_used is not the new bytes");
        highest = std::max(highest, end);
        mark(have, offset, end);
      }
      if (fin) final_size = end;
      break;
    }
    case 3: { // read
      const std::size_t n = std::size_t{in.byte()} * 16 + 1;
      out.assign(n, std::byte{0});
      std::error_code ec;
      const auto r = s.read(out, ec);
      if (stopped) {
        check(r.bytes == 0, "read after stop_sending returned bytes");
        break;
      }
      if (ec) {
        check(ec == stream_errc::reset_by_peer && reset, "read failed without a reset");
        check(r.bytes == 0, "a failed read returned bytes");
        break;
      }
      const std::size_t expected = contiguous(have, read_offset, n);
      if (reset) {
        // A reset that came after every byte was in is ignored; otherwise
        // reads fail (above). Either way nothing beyond the model.
        check(r.bytes <= expected, "read delivered bytes never received");
      } else {
        check(r.bytes == expected, "read delivered a different amount than the model holds");
      }
      check(is_content(std::span(out).first(r.bytes), read_offset), "read delivered wrong bytes");
      read_offset += r.bytes;
      check(s.read_offset() == read_offset, "read_offset disagrees with the bytes delivered");
      if (r.fin) {
        check(final_size && read_offset == *final_size, "fin before the final size");
        // Reads after the end keep saying fin, with no bytes.
        check(!fin_read || r.bytes == 0, "bytes delivered after fin");
        fin_read = true;
      } else if (!reset && final_size && read_offset == *final_size && !fin_read) {
        fail("the final size was reached without fin");
      }
      break;
    }
    case 4: { // RESET_STREAM
      const std::uint64_t final = (what & 0x10) ? highest + in.uint(1) : stream_offset(in);
      const std::uint64_t code = in.byte();
      const auto r = s.on_reset(final, code);
      if (!r.error && !reset) {
        if (final_size) check(final == *final_size, "a reset moved the final size");
        check(final >= highest, "a reset below data received was accepted");
        // Ignored once every byte was in; otherwise the stream is reset
        // and its buffered bytes are dropped.
        if (!final_size) final_size = final;
        reset = s.state() == recv_state::reset_recvd || s.state() == recv_state::reset_read;
      }
      if (r.error) {
        const bool final_bad = (final_size && final != *final_size) || final < highest;
        const bool flow_bad = final > limit || final > max_varint;
        check(final_bad || flow_bad, "on_reset refused a legal reset");
      }
      break;
    }
    case 5: { // STOP_SENDING from the application
      (void)s.stop_sending(in.byte());
      stopped = true;
      break;
    }
    case 6: { // time passes; a MAX_STREAM_DATA may be due
      now += std::chrono::milliseconds(in.byte() + 1);
      if (auto v = s.poll_max_stream_data(now, 10ms)) {
        check(*v >= limit, "the limit shrank");
        check(*v <= max_varint, "the limit passed 2^62-1");
        limit = *v;
      }
      check(s.window().limit() == limit, "the limit changed without an update");
      break;
    }
    case 7: { // inspection must agree with the model
      check(s.highest_received() == highest || reset, "highest_received disagrees");
      // A reset or stop_sending drops what is buffered (read_offset may move).
      if (!reset && !stopped) check(s.read_offset() == read_offset, "read_offset disagrees");
      if (!reset && !stopped) check(s.final_size() == final_size, "final_size disagrees");
      check(s.buffered() <= limit, "more buffered than the window allows");
      break;
    }
    }
  }
}

// --- message_receiver -------------------------------------------------------

struct model_message {
  std::optional<std::uint64_t> length; // from the first accepted fragment
  offset_map have;
};

std::uint64_t message_id(input& in) {
  const std::uint8_t b = in.byte();
  if (b < 0xf0) return b / 8;
  if (b < 0xfe) return std::uint64_t{b} * 64; // far ahead: overruns the pending window
  return in.uint(8) & max_varint;
}

void fuzz_message_receiver(input& in) {
  message_receiver_config cfg;
  cfg.max_message_size = 8 * 1024;
  cfg.max_buffered_bytes = 32 * 1024;
  cfg.max_pending_messages = 64;
  message_receiver r{cfg};

  std::map<std::uint64_t, model_message> sent; // ids below 4096 only
  std::uint64_t next = 0;                      // the next id an event must carry
  time_point now{};

  auto drain = [&] {
    for (int i = 0; i < 4096; ++i) {
      auto ev = r.poll(now);
      if (!ev) return;
      check(ev->id == next, "an event is out of id order");
      if (ev->what == message_event::kind::dropped) {
        check(ev->count >= 1, "a drop of no messages");
        next += ev->count;
        continue;
      }
      check(ev->count == 1, "a delivery for several ids");
      auto it = sent.find(ev->id);
      if (ev->id < 4096) {
        check(it != sent.end() && it->second.length, "a message delivered that was never sent");
        check(ev->data.size() == *it->second.length, "a delivered message has the wrong length");
        const auto& have = it->second.have;
        check(contiguous(have, 0, have.size()) == have.size(), "a message delivered with bytes never sent");
      }
      check(ev->data.size() <= cfg.max_message_size, "a delivered message is larger than allowed");
      check(is_content(ev->data, ev->id * 977), "a delivered message has wrong bytes");
      ++next;
    }
  };

  for (std::size_t op = 0; op < max_ops && !in.empty(); ++op) {
    const std::uint8_t what = in.byte();
    switch (what & 3) {
    case 0:
    case 1: { // a fragment
      const std::uint64_t id = message_id(in);
      const std::uint64_t length = (what & 0x80) ? in.uint(8) : in.uint(2) & 0x3fff;
      const std::uint64_t offset = (what & 0x40) ? in.uint(8) : in.uint(2) & 0x3fff;
      const std::size_t n = std::min<std::size_t>(in.uint(2) & 0xfff, max_chunk);
      const duration ttl = std::chrono::milliseconds(in.byte()) * 4;
      const auto chunk = content_run(id * 977 + offset, n);
      const bool outside = offset > length || n > length - offset;
      auto* m = id < 4096 ? &sent[id] : nullptr;
      const bool length_differs = m && m->length && *m->length != length;
      const auto ec = r.on_fragment(id, length, offset, chunk, ttl, now);
      if (ec) {
        check(outside || length_differs || !m, "on_fragment refused a consistent fragment");
        break;
      }
      check(!outside, "on_fragment accepted a fragment outside its message");
      if (!m || length > cfg.max_message_size) break;
      if (!m->length) {
        m->length = length;
        m->have.assign(static_cast<std::size_t>(length), 0);
      }
      if (*m->length == length) mark(m->have, offset, offset + n);
      break;
    }
    case 2: r.on_abandon(message_id(in)); break;
    case 3:
      now += std::chrono::milliseconds(in.byte()) * ((what & 4) ? 16 : 1);
      check(r.next_timeout() == never || r.next_timeout() >= time_point{}, "a timeout before time began");
      drain();
      break;
    }
    check(r.buffered() <= cfg.max_buffered_bytes, "buffered beyond the budget");
    check(r.next_id() >= next, "next_id went back");
  }
  now += 1h;
  drain();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  input in{data + 1, size - 1};
  if (data[0] & 1)
    fuzz_message_receiver(in);
  else
    fuzz_recv_stream(in);
  return 0;
}
