#include <doctest/doctest.h>

#include <ostream> // doctest prints std::error_code through it

#include "stream/flow_control.hpp"
#include "stream/stream_errc.hpp"

#include <algorithm>
#include <chrono>
#include <deque>

using namespace tern::stream;
using namespace std::chrono_literals;
using tern::duration;
using tern::time_point;

namespace {
constexpr std::uint64_t KiB = 1024, MiB = 1024 * 1024;
time_point at(duration d) { return time_point{} + d; }
} // namespace

TEST_CASE("send_credit: consumption, limits only grow, blocked reported once per limit") {
  send_credit c{1000};
  CHECK(c.available() == 1000);
  c.consume(600);
  CHECK(c.available() == 400);
  CHECK_FALSE(c.on_max(500)); // smaller limits are ignored
  CHECK(c.limit() == 1000);
  c.on_blocked(); // not blocked: credit left
  CHECK_FALSE(c.poll_blocked());
  c.consume(400);
  c.on_blocked();
  CHECK(c.poll_blocked() == 1000u);
  c.on_blocked();
  CHECK_FALSE(c.poll_blocked()); // once per limit value
  c.on_blocked_lost(1000);
  CHECK(c.poll_blocked() == 1000u); // repeated while still blocked at that limit
  CHECK(c.on_max(2000));
  c.on_blocked_lost(1000); // stale: no longer blocked
  CHECK_FALSE(c.poll_blocked());
  c.consume(1000);
  c.on_blocked();
  CHECK(c.poll_blocked() == 2000u);
}

TEST_CASE("recv_window: data beyond the advertised limit is a flow control error") {
  recv_window w{{.initial = 1000, .max = 4000}};
  CHECK(w.limit() == 1000);
  CHECK_FALSE(w.on_received(1000));
  CHECK(w.on_received(1001) == stream_errc::flow_control_error);
  CHECK(w.received() == 1000);
}

TEST_CASE("recv_window: an update is due once a quarter of the window is consumed, and repeated if lost") {
  recv_window w{{.initial = 1000, .max = 1000}};
  CHECK_FALSE(w.on_received(1000));
  w.on_consumed(249);
  CHECK_FALSE(w.update_due());
  CHECK_FALSE(w.poll_update(at(0ms), 100ms));
  w.on_consumed(1);
  CHECK(w.update_due());
  CHECK(w.poll_update(at(1ms), 100ms) == 1250u);
  CHECK_FALSE(w.poll_update(at(2ms), 100ms));
  w.on_update_lost(1250);
  CHECK(w.has_update());
  CHECK(w.poll_update(at(3ms), 100ms) == 1250u);
  w.on_update_lost(1200); // an older value: superseded, nothing to repeat
  CHECK_FALSE(w.poll_update(at(4ms), 100ms));
  w.stop_updates();
  w.on_update_lost(1250);
  CHECK_FALSE(w.poll_update(at(5ms), 100ms));
}

TEST_CASE("recv_window: grows when updates come less than 1 RTT apart, never past max, not otherwise") {
  recv_window w{{.initial = 1000, .max = 3000}};
  std::uint64_t got = 0;
  // Consumes a quarter window (plus one byte) and polls the update; the
  // reader leaves nothing readable unless `caught_up` says otherwise.
  auto drain_quarter = [&](time_point now, duration rtt, bool caught_up = false) {
    const std::uint64_t quarter = w.window() / 4 + 1;
    REQUIRE_FALSE(w.on_received(w.consumed() + quarter));
    w.on_consumed(w.received() - w.consumed());
    auto v = w.poll_update(now, rtt, caught_up);
    REQUIRE(v);
    got = *v;
  };
  drain_quarter(at(0ms), 100ms); // first update: no previous one to compare with
  CHECK(w.window() == 1000);
  drain_quarter(at(150ms), 100ms); // 150 ms apart > 1 RTT: slow reader
  CHECK(w.window() == 1000);
  drain_quarter(at(200ms), 100ms); // 50 ms < 100 ms: window-limited
  CHECK(w.window() == 2000);
  CHECK(got == w.consumed() + 2000);
  drain_quarter(at(210ms), 100ms);
  CHECK(w.window() == 3000); // capped
  drain_quarter(at(220ms), 100ms);
  CHECK(w.window() == 3000);
  drain_quarter(at(230ms), duration::zero()); // no RTT estimate: no growth
  CHECK(w.window() == 3000);
  w.ensure_window(10'000);
  CHECK(w.window() == 3000);
}

TEST_CASE("recv_window: a reader stalled by loss recovery, not by itself, still grows the window") {
  recv_window w{{.initial = 1000, .max = 64'000}};
  auto update_after = [&](time_point now, bool caught_up) {
    // A hole at the read offset held the reader back; the retransmission
    // filled it and the reader read everything at once.
    REQUIRE_FALSE(w.on_received(w.limit()));
    w.on_consumed(w.received() - w.consumed());
    REQUIRE(w.poll_update(now, 100ms, caught_up));
  };
  update_after(at(0ms), true);
  CHECK(w.window() == 1000);
  update_after(at(250ms), false); // 2.5 RTT, data left unread: the reader is slow
  CHECK(w.window() == 1000);
  // 2.5 RTT, nothing left unread: recovery delayed it. A whole window was
  // drained since the last update, four quarters, so the window catches up
  // on the doublings the hole held back (three at most: × 8).
  update_after(at(500ms), true);
  CHECK(w.window() == 8000);
  update_after(at(900ms), true); // 4 RTT: too slow to blame on one recovery
  CHECK(w.window() == 8000);
}

TEST_CASE("recv_window: an update that comes due as it should doubles the window once") {
  recv_window w{{.initial = 4000, .max = 64'000}};
  auto drain = [&](std::uint64_t bytes, time_point now) {
    REQUIRE_FALSE(w.on_received(w.consumed() + bytes));
    w.on_consumed(bytes);
    return w.poll_update(now, 100ms, true);
  };
  REQUIRE(drain(1000, at(0ms)));
  CHECK(w.window() == 4000);
  REQUIRE(drain(1000, at(50ms))); // one quarter within a round trip
  CHECK(w.window() == 8000);
  REQUIRE(drain(4000, at(90ms))); // two quarters of the new window at once
  CHECK(w.window() == 32'000);
}

TEST_CASE("recv_window: the granted window goes out with the first update, before anything is consumed") {
  recv_window w{{.initial = 1000, .max = 64'000, .granted = 8000}};
  // The peer starts from the protocol's initial limit.
  CHECK(w.limit() == 1000);
  CHECK(w.window() == 8000);
  REQUIRE(w.has_update());
  CHECK(w.poll_update(at(0ms), 100ms) == 8000u);
  CHECK_FALSE(w.has_update());
  CHECK_FALSE(w.on_received(8000));
  CHECK(w.on_received(8001) == stream_errc::flow_control_error);
}

TEST_CASE("recv_window: a granted window above max is capped, one below the initial limit grants nothing") {
  recv_window capped{{.initial = 1000, .max = 4000, .granted = 8000}};
  CHECK(capped.poll_update(at(0ms), 100ms) == 4000u);
  recv_window small{{.initial = 1000, .max = 4000, .granted = 500}};
  CHECK(small.limit() == 1000);
  CHECK_FALSE(small.has_update());
}

TEST_CASE("recv_window: a reader waiting on a hole doubles the window once more than half of it is held") {
  recv_window w{{.initial = 1000, .max = 64'000}};
  // Bytes 0-99 are missing; 100-500 arrived and cannot be read.
  REQUIRE_FALSE(w.on_received(500));
  CHECK_FALSE(w.has_update(true)); // exactly half held
  CHECK_FALSE(w.poll_update(at(10ms), 100ms, true));
  REQUIRE_FALSE(w.on_received(501));
  REQUIRE(w.has_update(true));
  CHECK_FALSE(w.has_update(false)); // only a reader that has read all it can
  CHECK(w.poll_update(at(10ms), 100ms, true) == 2000u);
  CHECK(w.window() == 2000);
  // What is held is now at most half of the window: no second doubling.
  CHECK_FALSE(w.has_update(true));
  CHECK_FALSE(w.poll_update(at(11ms), 100ms, true));
  // More data above the hole arrives at the new limit's pace: again.
  REQUIRE_FALSE(w.on_received(1001));
  CHECK(w.poll_update(at(12ms), 100ms, true) == 4000u);
}

TEST_CASE("recv_window: a reader that left data unread does not grow the window at a hole") {
  recv_window w{{.initial = 1000, .max = 64'000}};
  REQUIRE_FALSE(w.on_received(200));
  w.on_consumed(100);
  // The reader left bytes 100-199 unread at this poll: it is the bottleneck.
  CHECK_FALSE(w.poll_update(at(10ms), 100ms, false));
  // It reads up to a hole at 200 while 300-900 arrive above it (not yet a
  // quarter of the window consumed, so no ordinary update either).
  w.on_consumed(100);
  REQUIRE_FALSE(w.on_received(900));
  CHECK_FALSE(w.has_update(true));
  CHECK_FALSE(w.poll_update(at(20ms), 100ms, true));
  CHECK(w.window() == 1000);
}

TEST_CASE("recv_window: no growth at a hole once the final size is known") {
  recv_window w{{.initial = 1000, .max = 64'000}};
  REQUIRE_FALSE(w.on_received(900));
  w.stop_updates();
  CHECK_FALSE(w.has_update(true));
  CHECK_FALSE(w.poll_update(at(10ms), 100ms, true));
}

namespace {

// A bulk transfer over a path with `rtt` and `rate_bytes_per_ms`, through a
// stream window and a connection window (connection kept at 1.5x the stream
// window, as the connection does), the reader draining at most
// `read_bytes_per_ms`. Virtual time in 1 ms steps.
struct transfer_result {
  std::uint64_t delivered_last_second = 0;
  std::uint64_t stream_window = 0;
  std::uint64_t conn_window = 0;
  std::uint64_t max_buffered = 0; // received but not yet read
};

transfer_result run_transfer(duration rtt, std::uint64_t rate_bytes_per_ms, std::uint64_t read_bytes_per_ms,
                             int seconds) {
  const window_config stream_cfg{.initial = 256 * KiB, .max = 16 * MiB};
  const window_config conn_cfg{.initial = 384 * KiB, .max = 24 * MiB};
  recv_window stream_win{stream_cfg}, conn_win{conn_cfg};
  send_credit stream_credit{stream_cfg.initial}, conn_credit{conn_cfg.initial};
  struct in_flight {
    time_point arrives;
    std::uint64_t value;
  };
  std::deque<in_flight> data, stream_updates, conn_updates;
  std::uint64_t sent = 0, arrived = 0, read = 0;
  transfer_result r;
  const duration one_way = rtt / 2;
  const int steps = seconds * 1000;
  for (int ms = 0; ms < steps; ++ms) {
    const time_point now = at(std::chrono::milliseconds{ms});
    while (!stream_updates.empty() && stream_updates.front().arrives <= now) {
      stream_credit.on_max(stream_updates.front().value);
      stream_updates.pop_front();
    }
    while (!conn_updates.empty() && conn_updates.front().arrives <= now) {
      conn_credit.on_max(conn_updates.front().value);
      conn_updates.pop_front();
    }
    const std::uint64_t n =
        std::min<std::uint64_t>({rate_bytes_per_ms, stream_credit.available(), conn_credit.available()});
    if (n > 0) {
      stream_credit.consume(n);
      conn_credit.consume(n);
      sent += n;
      data.push_back({now + one_way, sent});
    }
    while (!data.empty() && data.front().arrives <= now) {
      REQUIRE_FALSE(stream_win.on_received(data.front().value));
      REQUIRE_FALSE(conn_win.on_received(data.front().value));
      arrived = data.front().value;
      data.pop_front();
    }
    r.max_buffered = std::max(r.max_buffered, arrived - read);
    const std::uint64_t take = std::min(arrived - read, read_bytes_per_ms);
    read += take;
    stream_win.on_consumed(take);
    conn_win.on_consumed(take);
    if (ms >= steps - 1000) r.delivered_last_second += take;
    if (auto v = stream_win.poll_update(now, rtt, read == arrived)) {
      stream_updates.push_back({now + one_way, *v});
      conn_win.ensure_window(stream_win.window() * 3 / 2);
    }
    if (auto v = conn_win.poll_update(now, rtt)) conn_updates.push_back({now + one_way, *v});
  }
  r.stream_window = stream_win.window();
  r.conn_window = conn_win.window();
  return r;
}

} // namespace

TEST_CASE("recv_window: a fast reader on a 200 ms, 100 Mbit/s path is never window-limited") {
  constexpr std::uint64_t rate = 100'000'000 / 8 / 1000; // 12 500 bytes per ms
  const auto r = run_transfer(200ms, rate, UINT64_MAX, 10);
  // After warm-up the link is full: every millisecond delivers `rate` bytes.
  CHECK(r.delivered_last_second == rate * 1000);
  CHECK(r.stream_window >= 2 * 2'500'000); // twice the bandwidth-delay product
  CHECK(r.stream_window <= 16 * MiB);
  CHECK(r.conn_window <= 24 * MiB);
  CHECK(r.conn_window >= r.stream_window);
}

TEST_CASE("recv_window: a slow reader never grows the window and memory stays bounded") {
  constexpr std::uint64_t rate = 100'000'000 / 8 / 1000;
  // 250 kB/s: half of the 256 KiB window takes ~520 ms to read, over 2 RTTs.
  constexpr std::uint64_t slow = 250;
  const auto r = run_transfer(200ms, rate, slow, 10);
  CHECK(r.stream_window == 256 * KiB);
  CHECK(r.max_buffered <= 256 * KiB);
  CHECK(r.delivered_last_second == slow * 1000); // the reader, not the window, sets the pace
}

TEST_CASE("recv_window: growth follows the reader's rate, not the link's") {
  constexpr std::uint64_t rate = 100'000'000 / 8 / 1000;
  // A 1 MB/s reader needs about 4 * rate * RTT = 800 kB of window to never
  // wait on an update: the window stops at 1 MiB although the link could
  // fill 16 MiB, so memory tracks what the application consumes.
  constexpr std::uint64_t reader = 1000;
  const auto r = run_transfer(200ms, rate, reader, 10);
  CHECK(r.stream_window <= 1 * MiB);
  CHECK(r.max_buffered <= 1 * MiB);
  CHECK(r.delivered_last_second == reader * 1000);
}
