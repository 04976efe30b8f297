#include <doctest/doctest.h>

#include <ostream> // doctest prints std::error_code through it

#include "bytes.hpp"
#include "support/seed.hpp"

#include "stream/recv_stream.hpp"
#include "stream/stream_errc.hpp"
#include "stream/stream_id.hpp"

#include <tern/random.hpp>

#include <algorithm>
#include <chrono>
#include <vector>

using namespace tern::stream;
using namespace std::chrono_literals;
using tern::stream::test::pattern;

namespace {
tern::time_point at(tern::duration d) { return tern::time_point{} + d; }

std::vector<std::byte> read_all(recv_stream& r, bool* fin = nullptr) {
  std::vector<std::byte> out, buf(777);
  std::error_code ec;
  for (;;) {
    auto res = r.read(buf, ec);
    REQUIRE_FALSE(ec);
    out.insert(out.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(res.bytes));
    if (fin != nullptr && res.fin) *fin = true;
    if (res.bytes == 0) return out;
  }
}

struct piece {
  std::uint64_t offset, length;
};

// Cuts [0, n) into chunks of random size, adds overlapping chunks and exact
// duplicates, and shuffles them.
std::vector<piece> scrambled_pieces(tern::random_source& rng, std::uint64_t n) {
  std::vector<piece> v;
  for (std::uint64_t off = 0; off < n;) {
    const std::uint64_t len = std::min<std::uint64_t>(n - off, 1 + rng.uniform(1500));
    v.push_back({off, len});
    off += len;
  }
  const std::size_t base = v.size();
  for (std::size_t i = 0; i < base / 3; ++i) { // overlaps straddling chunk boundaries
    const std::uint64_t off = rng.uniform(n);
    v.push_back({off, std::min<std::uint64_t>(n - off, 1 + rng.uniform(3000))});
  }
  for (std::size_t i = 0; i < base / 4; ++i) v.push_back(v[rng.uniform(base)]); // duplicates
  for (std::size_t i = v.size() - 1; i > 0; --i) std::swap(v[i], v[rng.uniform(i + 1)]);
  return v;
}
} // namespace

TEST_CASE("recv_stream: random permutations, overlaps and duplicates reassemble to the input") {
  tern::random_source rng{tern::test::seed()};
  for (int trial = 0; trial < 20; ++trial) {
    const std::uint64_t n = 1 + rng.uniform(100'000);
    const auto data = tern::stream::test::random_bytes(rng, n);
    recv_stream r{window_config{.initial = 128 * 1024, .max = 128 * 1024}};
    std::vector<std::byte> out;
    bool fin = false;
    for (const auto& p : scrambled_pieces(rng, n)) {
      const bool last = p.offset + p.length == n;
      auto res = r.on_data(p.offset, std::span{data}.subspan(p.offset, p.length), last);
      REQUIRE_FALSE(res.error);
      CHECK(r.buffered() <= 128 * 1024);
      if (rng.uniform(4) == 0) {
        auto got = read_all(r, &fin);
        out.insert(out.end(), got.begin(), got.end());
      }
    }
    auto got = read_all(r, &fin);
    out.insert(out.end(), got.begin(), got.end());
    CHECK(out == data);
    CHECK(fin);
    CHECK(r.state() == recv_state::data_read);
    CHECK(r.is_closed());
  }
}

TEST_CASE("recv_stream: credit used counts only growth of the highest offset") {
  recv_stream r;
  const auto d = pattern(1000);
  CHECK(r.on_data(500, std::span{d}.first(500), false).credit_used == 1000);
  CHECK(r.on_data(0, std::span{d}.first(500), false).credit_used == 0);
  CHECK(r.on_data(800, std::span{d}.first(400), false).credit_used == 200);
  CHECK(r.readable() == 1200);
}

TEST_CASE("recv_stream: data beyond the window, the connection credit or 2^62 is a flow control error") {
  recv_stream r{window_config{.initial = 1000, .max = 1000}};
  const auto d = pattern(2000);
  CHECK(r.on_data(0, std::span{d}.first(1001), false).error == stream_errc::flow_control_error);
  CHECK(r.highest_received() == 0); // nothing committed
  CHECK(r.on_data(900, std::span{d}.first(100), false, 999).error == stream_errc::flow_control_error);
  CHECK_FALSE(r.on_data(900, std::span{d}.first(100), false, 1000).error);
  CHECK(r.on_data(max_varint, std::span{d}.first(2), false).error == stream_errc::flow_control_error);
}

TEST_CASE("recv_stream: final size rules") {
  const auto d = pattern(1000);
  SUBCASE("data beyond the final size") {
    recv_stream r;
    REQUIRE_FALSE(r.on_data(0, std::span{d}.first(100), true).error);
    CHECK(r.state() == recv_state::data_recvd);
    CHECK(r.on_data(100, std::span{d}.first(1), false).error == stream_errc::final_size_error);
    CHECK(r.on_data(50, std::span{d}.first(51), false).error == stream_errc::final_size_error);
    CHECK_FALSE(r.on_data(50, std::span{d}.first(50), false).error); // retransmission inside: fine
  }
  SUBCASE("a FIN that moves the final size") {
    recv_stream r;
    REQUIRE_FALSE(r.on_data(200, std::span{d}.first(100), true).error);
    CHECK(r.state() == recv_state::size_known);
    CHECK(r.on_data(0, std::span{d}.first(100), true).error == stream_errc::final_size_error);
    CHECK_FALSE(r.on_data(300, {}, true).error); // the same final size again
  }
  SUBCASE("a FIN below data already received") {
    recv_stream r;
    REQUIRE_FALSE(r.on_data(0, std::span{d}.first(500), false).error);
    CHECK(r.on_data(0, std::span{d}.first(400), true).error == stream_errc::final_size_error);
    CHECK_FALSE(r.final_size());
  }
  SUBCASE("reset with a different final size") {
    recv_stream r;
    REQUIRE_FALSE(r.on_data(0, std::span{d}.first(100), true).error);
    CHECK(r.on_reset(99, 1).error == stream_errc::final_size_error);
    CHECK(r.on_reset(101, 1).error == stream_errc::final_size_error);
  }
  SUBCASE("reset below data received, or beyond the window") {
    recv_stream r{window_config{.initial = 1000, .max = 1000}};
    REQUIRE_FALSE(r.on_data(0, std::span{d}.first(500), false).error);
    CHECK(r.on_reset(499, 1).error == stream_errc::final_size_error);
    CHECK(r.on_reset(1001, 1).error == stream_errc::flow_control_error);
    CHECK(r.on_reset(600, 1, 99).error == stream_errc::flow_control_error);
    CHECK(r.state() == recv_state::recv);
  }
}

TEST_CASE("recv_stream: RESET_STREAM drops buffered data, releases credit, read reports it") {
  recv_stream r;
  const auto d = pattern(1000);
  REQUIRE_FALSE(r.on_data(0, std::span{d}.first(300), false).error);
  REQUIRE_FALSE(r.on_data(500, std::span{d}.first(100), false).error);
  std::vector<std::byte> buf(100);
  std::error_code ec;
  CHECK(r.read(buf, ec).bytes == 100);
  auto res = r.on_reset(800, 77);
  CHECK_FALSE(res.error);
  CHECK(res.credit_used == 200); // 600 -> 800
  CHECK(res.released == 700);    // 800 - 100 read
  CHECK(r.state() == recv_state::reset_recvd);
  CHECK(r.reset_error() == 77u);
  CHECK(r.buffered() == 0);
  CHECK_FALSE(r.is_closed());
  CHECK(r.read(buf, ec).bytes == 0);
  CHECK(ec == stream_errc::reset_by_peer);
  CHECK(r.state() == recv_state::reset_read);
  CHECK(r.is_closed());
  // Late data within the final size is ignored; beyond it is an error.
  CHECK_FALSE(r.on_data(300, std::span{d}.first(200), false).error);
  CHECK(r.on_data(700, std::span{d}.first(200), false).error == stream_errc::final_size_error);
  CHECK_FALSE(r.on_reset(800, 77).error); // repeated reset: fine
  CHECK_FALSE(r.poll_max_stream_data(at(1s), 100ms));
}

TEST_CASE("recv_stream: a reset after all data arrived is ignored") {
  recv_stream r;
  const auto d = pattern(100);
  REQUIRE_FALSE(r.on_data(0, d, true).error);
  auto res = r.on_reset(100, 5);
  CHECK_FALSE(res.error);
  CHECK(r.state() == recv_state::data_recvd);
  bool fin = false;
  CHECK(read_all(r, &fin) == d);
  CHECK(fin);
}

TEST_CASE("recv_stream: an empty FIN completes the stream on the next read") {
  recv_stream r;
  const auto d = pattern(10);
  REQUIRE_FALSE(r.on_data(0, d, false).error);
  CHECK(read_all(r) == d);
  REQUIRE_FALSE(r.on_data(10, {}, true).error);
  std::vector<std::byte> buf(10);
  std::error_code ec;
  auto res = r.read(buf, ec);
  CHECK(res.bytes == 0);
  CHECK(res.fin);
  CHECK(r.state() == recv_state::data_read);
}

TEST_CASE("recv_stream: MAX_STREAM_DATA after a quarter of the window is read, not before, not after FIN") {
  recv_stream r{window_config{.initial = 1000, .max = 1000}};
  const auto d = pattern(1000);
  REQUIRE_FALSE(r.on_data(0, d, false).error);
  CHECK_FALSE(r.has_control_pending()); // nothing read yet: buffered data holds the window
  std::vector<std::byte> buf(249);
  std::error_code ec;
  r.read(buf, ec);
  CHECK_FALSE(r.poll_max_stream_data(at(0ms), 100ms));
  std::vector<std::byte> one(1);
  r.read(one, ec);
  CHECK(r.has_control_pending());
  CHECK(r.poll_max_stream_data(at(1ms), 100ms) == 1250u);
  r.on_max_stream_data_lost(1250);
  CHECK(r.poll_max_stream_data(at(2ms), 100ms) == 1250u);
  REQUIRE_FALSE(r.on_data(1000, std::span{d}.first(10), true).error);
  std::vector<std::byte> rest(760);
  r.read(rest, ec);
  CHECK_FALSE(r.poll_max_stream_data(at(3ms), 100ms)); // final size known: no more credit needed
}

TEST_CASE("recv_stream: STOP_SENDING discards data, keeps credit flowing, closes at FIN") {
  recv_stream r{window_config{.initial = 1000, .max = 1000}};
  const auto d = pattern(1000);
  REQUIRE_FALSE(r.on_data(0, std::span{d}.first(400), false).error);
  CHECK(r.stop_sending(3) == 400);
  CHECK(r.poll_stop_sending() == 3u);
  CHECK_FALSE(r.poll_stop_sending());
  r.on_stop_sending_lost();
  CHECK(r.poll_stop_sending() == 3u);
  auto res = r.on_data(400, std::span{d}.first(300), false);
  CHECK_FALSE(res.error);
  CHECK(res.released == 300);
  CHECK(r.buffered() == 0);
  std::vector<std::byte> buf(10);
  std::error_code ec;
  r.read(buf, ec);
  CHECK(ec == stream_errc::stream_closed);
  CHECK_FALSE(r.is_closed());
  CHECK_FALSE(r.on_data(700, std::span{d}.first(10), true).error);
  CHECK(r.is_closed());
  r.on_stop_sending_lost(); // all data in: no need to repeat
  CHECK_FALSE(r.poll_stop_sending());
}

TEST_CASE("recv_stream: a long transfer through a small window, scrambled within it, wraps the ring intact") {
  tern::random_source rng{tern::test::seed()};
  const auto data = tern::stream::test::random_bytes(rng, 1'000'000);
  constexpr std::uint64_t window = 64 * 1024;
  recv_stream r{window_config{.initial = window, .max = window}};
  std::uint64_t limit = window, sent = 0;
  std::vector<std::byte> out;
  std::vector<std::byte> buf(5000);
  std::error_code ec;
  int ms = 0;
  while (out.size() < data.size()) {
    // Send everything the window allows, as scrambled pieces with duplicates.
    const std::uint64_t upto = std::min<std::uint64_t>(limit, data.size());
    if (upto > sent) {
      auto pieces = scrambled_pieces(rng, upto - sent);
      for (const auto& p : pieces) {
        const std::uint64_t off = sent + p.offset;
        const bool fin = off + p.length == data.size();
        REQUIRE_FALSE(r.on_data(off, std::span{data}.subspan(off, p.length), fin).error);
        CHECK(r.buffered() <= window);
      }
      sent = upto;
    }
    const auto res = r.read(std::span{buf}.first(1 + rng.uniform(buf.size())), ec);
    REQUIRE_FALSE(ec);
    out.insert(out.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(res.bytes));
    if (auto v = r.poll_max_stream_data(at(std::chrono::milliseconds{++ms}), 100ms)) limit = *v;
  }
  CHECK(out == data);
  CHECK(r.window().window() == window);
}

// Issue 17: a hostile peer's one-byte STREAM (or CRYPTO) frames in the worst
// orders. The holes it may leave are capped; the frame beyond the cap is a
// protocol violation that changes nothing, so the connection closes cleanly.
TEST_CASE("recv_stream: one-byte frames with holes in descending order stop at max_ranges") {
  constexpr std::size_t cap = 256;
  recv_stream r{window_config{.initial = 1 << 20, .max = 1 << 20}, cap};
  CHECK(r.max_ranges() == cap);
  const auto data = pattern(200'000);
  std::uint64_t accepted = 0;
  std::error_code refused;
  for (std::uint64_t k = 100'000; k-- > 0;) {
    const std::uint64_t off = 2 * k + 1;
    const auto before_high = r.highest_received();
    const auto res = r.on_data(off, std::span{data}.subspan(off, 1), false);
    CHECK(r.ranges_held() <= cap);
    if (res.error) {
      refused = res.error;
      CHECK(r.highest_received() == before_high); // nothing committed
      CHECK(res.credit_used == 0);
      break;
    }
    ++accepted;
  }
  CHECK(refused == stream_errc::protocol_violation);
  CHECK(accepted == cap);
  CHECK(r.ranges_held() == cap);
  CHECK(r.buffered() == cap);
  // Filling the holes is always accepted and reassembles the right bytes.
  for (std::uint64_t off = 2 * 100'000; off-- > 0;)
    REQUIRE_FALSE(r.on_data(off, std::span{data}.subspan(off, 1), false).error);
  CHECK(r.ranges_held() == 1);
  const auto out = read_all(r);
  CHECK(out == std::vector<std::byte>(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(2 * 100'000)));
}

TEST_CASE("recv_stream: 100,000 adjacent one-byte frames in descending order hold one range") {
  recv_stream r{window_config{.initial = 1 << 20, .max = 1 << 20}};
  const auto data = pattern(100'000);
  for (std::uint64_t off = data.size(); off-- > 0;) {
    REQUIRE_FALSE(r.on_data(off, std::span{data}.subspan(off, 1), off + 1 == data.size()).error);
    REQUIRE(r.ranges_held() == 1);
  }
  bool fin = false;
  CHECK(read_all(r, &fin) == data);
  CHECK(fin);
}

TEST_CASE("recv_stream: random one-byte frames are refused only at max_ranges, and what was accepted is exact") {
  tern::random_source rng{tern::test::seed()};
  constexpr std::size_t cap = 512;
  recv_stream r{window_config{.initial = 1 << 20, .max = 1 << 20}, cap};
  const auto data = pattern(20'000);
  std::vector<std::uint64_t> order(data.size());
  for (std::uint64_t i = 0; i < order.size(); ++i) order[i] = i;
  for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.uniform(i)]);
  std::size_t refusals = 0;
  for (const std::uint64_t off : order) {
    const auto res = r.on_data(off, std::span{data}.subspan(off, 1), false);
    CHECK(r.ranges_held() <= cap);
    if (res.error) {
      CHECK(res.error == stream_errc::protocol_violation);
      CHECK(r.ranges_held() == cap);
      ++refusals;
    }
  }
  CHECK(refusals > 0); // random holes in 20,000 bytes exceed 512 ranges
  // A retransmission of everything repairs the stream.
  REQUIRE_FALSE(r.on_data(0, data, false).error);
  CHECK(read_all(r) == data);
}
