// The ticket-key ring (docs/crypto.md, "Ticket keys"): rotation by hand and
// on its own clock, random and derived period keys.

#include <doctest/doctest.h>

#include "crypto/crypto_error.hpp"
#include "crypto/ticket_keys.hpp"

#include <vector>

using namespace tern::crypto;
using namespace std::chrono_literals;

namespace {

constexpr std::int64_t t0 = 1'800'000'000; // a period boundary for 600 s: 3'000'000 * 600

bool opens(const ticket_key_ring& ring, const ticket_key& key) { return ring.find(key.name).has_value(); }

} // namespace

TEST_CASE(
    "ticket_key_ring: a rotating ring keeps its key within a period, then keeps it one period as previous") {
  std::error_code ec;
  auto ring = ticket_key_ring::rotating(600s, {}, t0, ec);
  REQUIRE(ring);
  CHECK(ring->rotation_interval() == 600s);
  CHECK(ring->period() == t0 / 600);
  const ticket_key first = ring->current();

  CHECK_FALSE(ring->advance(t0 + 599));
  CHECK(ring->current().name == first.name);
  CHECK_FALSE(ring->advance(t0 - 1)); // a clock stepping back rotates nothing
  CHECK(ring->current().name == first.name);

  CHECK_FALSE(ring->advance(t0 + 600));
  const ticket_key second = ring->current();
  CHECK(second.name != first.name);
  const auto previous = ring->find(first.name);
  REQUIRE(previous);
  CHECK_FALSE(previous->second); // opens, but is no longer current
  CHECK(ring->find(second.name)->second);

  CHECK_FALSE(ring->advance(t0 + 1200));
  CHECK_FALSE(opens(*ring, first)); // two rotations: gone
  CHECK(opens(*ring, second));

  CHECK_FALSE(ring->advance(t0 + 10 * 600)); // idle for several periods: both retire
  CHECK_FALSE(opens(*ring, second));
  CHECK(ring->period() == t0 / 600 + 10);
}

TEST_CASE(
    "ticket_key_ring: derived period keys agree between servers sharing the master, whenever they start") {
  const std::vector<std::byte> master(80, std::byte{0x5a});
  std::error_code ec;
  auto a = ticket_key_ring::rotating(600s, master, t0, ec);
  auto b = ticket_key_ring::rotating(600s, master, t0 + 300, ec);    // same period, later start
  auto late = ticket_key_ring::rotating(600s, master, t0 + 600, ec); // started in the next period
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(late);
  const ticket_key in_period = a->current();
  CHECK(b->current().name == in_period.name);
  CHECK(b->current().cipher_key == in_period.cipher_key);
  CHECK(b->current().mac_key == in_period.mac_key);
  CHECK(opens(*late, in_period)); // its previous key is derived too
  REQUIRE_FALSE(a->advance(t0 + 600));
  CHECK(a->current().name == late->current().name);
  REQUIRE_FALSE(late->advance(t0 + 1200));
  CHECK_FALSE(opens(*late, in_period));

  const std::vector<std::byte> other(80, std::byte{0x5b});
  auto stranger = ticket_key_ring::rotating(600s, other, t0, ec);
  REQUIRE(stranger);
  CHECK_FALSE(opens(*stranger, in_period));
}

TEST_CASE("ticket_key_ring: invalid rotation settings are refused") {
  std::error_code ec;
  CHECK_FALSE(ticket_key_ring::rotating(0s, {}, t0, ec));
  CHECK(ec == crypto_errc::invalid_argument);
  const std::vector<std::byte> short_master(31, std::byte{1});
  CHECK_FALSE(ticket_key_ring::rotating(600s, short_master, t0, ec));
  CHECK(ec == crypto_errc::invalid_argument);
  // A ring rotated by hand ignores the clock.
  auto manual = ticket_key_ring::generate(ec);
  REQUIRE(manual);
  const auto name = manual->current().name;
  CHECK_FALSE(manual->advance(t0 + 1'000'000));
  CHECK(manual->current().name == name);
}
