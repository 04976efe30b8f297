// core::connection_ids (src/core/connection_ids.hpp): a peer drives how
// often IDs are retired on both sides, so these cases play a hostile peer
// and assert the bounds: our list holds active IDs only, issuance stops at
// local_issue_limit, a retire of an ID never sent is a PROTOCOL_VIOLATION,
// and the retirements we owe stay within max_pending_retires.

#include "core/connection_ids.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace tern::core {
namespace {

constexpr std::size_t active_ids = 4;
constexpr std::size_t peer_limit = 8;

wire::connection_id cid_for(std::uint64_t n) {
  std::array<std::byte, 8> b{};
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<std::byte>(n >> (8 * i));
  wire::connection_id cid;
  REQUIRE_FALSE(wire::connection_id::from_bytes(b, cid));
  return cid;
}

/// What core::connection does after a retire: keep `active_ids` issued
/// while the limit allows.
void top_up(connection_ids& ids, std::uint64_t& next_cid) {
  while (ids.active_local() < active_ids && ids.can_issue()) ids.issue_local(cid_for(next_cid++), {});
}

/// Sends every queued NEW_CONNECTION_ID; the sequences the peer now knows.
std::vector<std::uint64_t> send_new(connection_ids& ids) {
  std::vector<std::uint64_t> sent;
  while (auto f = ids.poll_new()) sent.push_back(f->sequence);
  return sent;
}

connection_ids issued_and_sent(std::uint64_t& next_cid) {
  connection_ids ids;
  ids.set_initial_local(cid_for(next_cid++));
  top_up(ids, next_cid);
  (void)send_new(ids);
  return ids;
}

wire::new_connection_id_frame peer_new(std::uint64_t sequence, std::uint64_t retire_prior_to) {
  wire::new_connection_id_frame f;
  f.sequence = sequence;
  f.retire_prior_to = retire_prior_to;
  f.cid = cid_for(1'000'000 + sequence);
  return f;
}

TEST_CASE("connection_ids: 120,000 retires of IDs we sent leave at most the active IDs, issuance capped") {
  std::uint64_t next_cid = 1;
  connection_ids ids = issued_and_sent(next_cid);
  // The peer retires every ID as soon as it learns of it, as fast as we send
  // replacements: the loop of issue 17 (120,000 retires left 120,004 entries).
  std::vector<std::uint64_t> known{0, 1, 2, 3};
  std::uint64_t retires = 0;
  std::size_t most_held = ids.local_ids().size();
  while (retires < 120'000) {
    for (const std::uint64_t seq : known) {
      wire::transport_error te{};
      (void)ids.on_retire(seq, te);
      REQUIRE(te == wire::transport_error{});
      ++retires;
      top_up(ids, next_cid);
      most_held = std::max(most_held, ids.local_ids().size());
    }
    const auto sent = send_new(ids);
    // Past the limit nothing new is sent: the peer retires what it already
    // retired (retransmissions, allowed and free).
    if (!sent.empty()) known = sent;
  }
  CHECK(most_held <= active_ids);
  CHECK(ids.local_ids().size() <= active_ids);
  CHECK(ids.issued_local() == connection_ids::local_issue_limit);
  CHECK_FALSE(ids.can_issue());
  CHECK(ids.active_local() == 0); // the peer retired them all; its loss
}

TEST_CASE("connection_ids: retiring an ID issued but never sent is a PROTOCOL_VIOLATION") {
  std::uint64_t next_cid = 1;
  connection_ids ids;
  ids.set_initial_local(cid_for(next_cid++));
  top_up(ids, next_cid); // sequences 1..3 issued, their frames not yet sent
  wire::transport_error te{};
  CHECK_FALSE(ids.on_retire(1, te));
  CHECK(te == wire::transport_error::protocol_violation);
  (void)send_new(ids);
  te = {};
  CHECK(ids.on_retire(1, te));
  CHECK(te == wire::transport_error{});
  CHECK_FALSE(ids.is_local(cid_for(2))); // sequence 1's ID is gone
  CHECK(ids.local_ids().size() == active_ids - 1);
  // A retransmitted retire changes nothing.
  const auto changes = ids.local_changes();
  CHECK_FALSE(ids.on_retire(1, te));
  CHECK(te == wire::transport_error{});
  CHECK(ids.local_changes() == changes);
  // One above anything sent: the peer guessed it.
  CHECK_FALSE(ids.on_retire(4, te));
  CHECK(te == wire::transport_error::protocol_violation);
}

TEST_CASE("connection_ids: a lost NEW_CONNECTION_ID is resent once, and not after its ID was retired") {
  std::uint64_t next_cid = 1;
  connection_ids ids = issued_and_sent(next_cid);
  for (int i = 0; i < 1000; ++i) ids.on_new_lost(2);
  auto f = ids.poll_new();
  REQUIRE(f);
  CHECK(f->sequence == 2);
  CHECK_FALSE(ids.poll_new());
  wire::transport_error te{};
  REQUIRE(ids.on_retire(3, te));
  ids.on_new_lost(3);
  CHECK_FALSE(ids.poll_new());
}

TEST_CASE("connection_ids: NEW_CONNECTION_ID floods below Retire Prior To keep the owed retires <= the cap") {
  connection_ids ids;
  ids.set_initial_peer(cid_for(999));
  wire::transport_error te{};
  REQUIRE(ids.on_new_connection_id(peer_new(1'000'000, 1'000'000), peer_limit, te));
  CHECK(ids.pending_retires() == 1); // sequence 0, the one we used
  SUBCASE("the same old sequence over and over is owed once") {
    for (int i = 0; i < 120'000; ++i) REQUIRE(ids.on_new_connection_id(peer_new(5, 0), peer_limit, te));
    CHECK(ids.pending_retires() == 2);
  }
  SUBCASE("distinct old sequences reach the cap, then CONNECTION_ID_LIMIT_ERROR") {
    std::uint64_t accepted = 0;
    for (std::uint64_t s = 1; s <= 120'000; ++s) {
      if (!ids.on_new_connection_id(peer_new(s, 0), peer_limit, te)) break;
      ++accepted;
      REQUIRE(ids.pending_retires() <= connection_ids::max_pending_retires);
    }
    CHECK(te == wire::transport_error::connection_id_limit_error);
    CHECK(ids.pending_retires() == connection_ids::max_pending_retires);
    CHECK(accepted == connection_ids::max_pending_retires - 1);
  }
  SUBCASE("sending drains them; they are owed again only when re-announced") {
    for (std::uint64_t s = 1; s < 40; ++s) REQUIRE(ids.on_new_connection_id(peer_new(s, 0), peer_limit, te));
    std::size_t sent = 0;
    while (ids.poll_retire()) ++sent;
    CHECK(sent == 40);
    CHECK(ids.pending_retires() == 0);
  }
}

TEST_CASE("connection_ids: Retire Prior To retires the spares and the current ID, each owed once") {
  connection_ids ids;
  ids.set_initial_peer(cid_for(999));
  wire::transport_error te{};
  for (std::uint64_t s = 1; s <= 4; ++s) REQUIRE(ids.on_new_connection_id(peer_new(s, 0), peer_limit, te));
  CHECK(ids.spare_peer() == 4);
  REQUIRE(ids.on_new_connection_id(peer_new(5, 4), peer_limit, te));
  CHECK(ids.peer() == cid_for(1'000'004));
  CHECK(ids.spare_peer() == 1);
  std::vector<std::uint64_t> owed;
  while (auto s = ids.poll_retire()) owed.push_back(*s);
  CHECK(owed == std::vector<std::uint64_t>{0, 1, 2, 3});
}

TEST_CASE("connection_ids: more than `limit` active peer IDs is a CONNECTION_ID_LIMIT_ERROR") {
  connection_ids ids;
  ids.set_initial_peer(cid_for(999));
  wire::transport_error te{};
  // Sequence 0 is active: `limit - 1` spares bring the count to the limit.
  for (std::uint64_t s = 1; s < peer_limit; ++s) REQUIRE(ids.on_new_connection_id(peer_new(s, 0), peer_limit, te));
  CHECK(ids.spare_peer() == peer_limit - 1);
  CHECK(te == wire::transport_error{});
  SUBCASE("one more is over the limit; the list keeps its bound") {
    CHECK_FALSE(ids.on_new_connection_id(peer_new(peer_limit, 0), peer_limit, te));
    CHECK(te == wire::transport_error::connection_id_limit_error);
    CHECK(ids.spare_peer() == peer_limit - 1);
  }
  SUBCASE("one more that retires the excess in the same frame is allowed (RFC 9000 5.1.1)") {
    CHECK(ids.on_new_connection_id(peer_new(peer_limit, 1), peer_limit, te));
    CHECK(te == wire::transport_error{});
    CHECK(ids.peer() == cid_for(1'000'001)); // sequence 0 retired, 1 now current
    CHECK(ids.spare_peer() == peer_limit - 1);
    CHECK(ids.poll_retire() == std::optional<std::uint64_t>{0});
    CHECK_FALSE(ids.poll_retire());
  }
  SUBCASE("a retransmission of a held ID is not counted again") {
    CHECK(ids.on_new_connection_id(peer_new(3, 0), peer_limit, te));
    CHECK(te == wire::transport_error{});
    CHECK(ids.spare_peer() == peer_limit - 1);
  }
}

TEST_CASE("connection_ids: a sequence number reused for another ID is a PROTOCOL_VIOLATION") {
  connection_ids ids;
  ids.set_initial_peer(cid_for(999));
  wire::transport_error te{};
  REQUIRE(ids.on_new_connection_id(peer_new(1, 0), peer_limit, te));
  SUBCASE("a spare's sequence") {
    auto f = peer_new(1, 0);
    f.cid = cid_for(42);
    CHECK_FALSE(ids.on_new_connection_id(f, peer_limit, te));
    CHECK(te == wire::transport_error::protocol_violation);
  }
  SUBCASE("the current ID's sequence (0, from the handshake)") {
    auto f = peer_new(0, 0);
    f.cid = cid_for(42);
    CHECK_FALSE(ids.on_new_connection_id(f, peer_limit, te));
    CHECK(te == wire::transport_error::protocol_violation);
  }
  SUBCASE("the same ID again is a retransmission, not an error") {
    CHECK(ids.on_new_connection_id(peer_new(1, 0), peer_limit, te));
    CHECK(te == wire::transport_error{});
    auto f = peer_new(0, 0);
    f.cid = cid_for(999);
    CHECK(ids.on_new_connection_id(f, peer_limit, te));
    CHECK(te == wire::transport_error{});
    CHECK(ids.spare_peer() == 1);
  }
}

} // namespace
} // namespace tern::core
