#pragma once

#include "sim/address.hpp"
#include "sim/link.hpp"
#include "sim/netem_spec.hpp"
#include "sim/node.hpp"
#include "sim/packet.hpp"
#include "sim/schedule.hpp"
#include "sim/trace.hpp"

#include <tern/time.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

namespace tern::sim {

/// Network-wide counters.
struct network_stats {
  std::uint64_t sent = 0;        ///< datagrams nodes handed to the network
  std::uint64_t delivered = 0;   ///< datagrams nodes received (duplicates counted)
  std::uint64_t unroutable = 0;  ///< sent to, or arriving at, an address no node holds
  std::uint64_t dropped_mtu = 0; ///< larger than the MTU of a link they entered (set_link_mtu)
  std::uint64_t events = 0;      ///< events the loop processed
  std::uint64_t link_events = 0; ///< packets offered to links plus packets leaving them
};

/// A discrete-event simulator with a virtual clock. It hosts nodes (sim
/// endpoints with the sans-IO shape of a tern connection), links (one
/// direction each, netem semantics) and routes (the links a datagram from
/// one node to another crosses, in order). Deterministic: the same seed and
/// the same sequence of calls give the same packet trace. Single-threaded.
///
/// Topologies are built from these pieces: a point-to-point pair is two
/// links and two routes; a dumbbell gives several pairs routes that share
/// one bottleneck link per direction (topology.hpp has helpers for both).
///
/// Addresses: each node binds a local address; the far side sees its public
/// address, which starts equal to it and changes with rebind() (a NAT
/// rebinding). Datagrams are routed by destination public address; a
/// datagram to an address no node holds, or reaching a node that no longer
/// holds its destination address, is counted as unroutable and dropped.
///
/// Setup errors (unknown ids, an address already taken, an empty route)
/// throw std::system_error with a sim_errc; running never throws.
class simulator {
public:
  /// Largest datagram a node can send (bytes of the poll_transmit buffer).
  static constexpr std::size_t max_datagram_size = 65527;

  /// `seed` derives every link's random source; `start` is the initial
  /// virtual time.
  explicit simulator(std::uint64_t seed, time_point start = time_point{});
  simulator(const simulator&) = delete;
  simulator& operator=(const simulator&) = delete;

  /// Adds `n` (not owned; must outlive the simulator) bound at `addr`. The
  /// node is first polled when the simulator next runs.
  node_id add_node(node& n, address addr);

  /// Adds a link applying `spec`; `name` selects schedule entries by target.
  link_id add_link(const netem_spec& spec, std::string name = {});

  /// Datagrams from `from` to `to` cross `path` (link ids, in order);
  /// replaces an earlier route for the same pair. One direction only.
  void add_route(node_id from, node_id to, std::vector<link_id> path);

  /// Changes the address others see for `n` now (a NAT rebinding): later
  /// datagrams from `n` carry `public_addr` as their source, and datagrams
  /// to the old public address become unroutable.
  void rebind(node_id n, address public_addr);
  void schedule_rebind(time_point at, node_id n, address public_addr);

  /// Datagrams of more than `max_payload` bytes entering link `l` are dropped
  /// without a trace on the wire: a path MTU with the don't-fragment bit set
  /// and no ICMP coming back (the black hole DPLPMTUD must cope with). Zero
  /// removes the limit. Takes effect for datagrams entering from now on, so
  /// schedule_call can change it mid-run. Traced as `lost`.
  void set_link_mtu(link_id l, std::size_t max_payload);
  /// Replaces link `l`'s spec at `at` (tc qdisc change semantics).
  void schedule_spec(time_point at, link_id l, const netem_spec& spec);
  /// Schedules every entry of `s` for link `l` relative to `origin`
  /// (entries with a target other than the link's name are skipped).
  void apply_schedule(link_id l, const schedule& s, time_point origin);

  /// Calls `fn` at virtual time `at` (for tests and scenario scripts).
  void schedule_call(time_point at, std::function<void()> fn);

  /// Polls `n` now: drains poll_transmit and re-reads next_timeout. Use it
  /// after changing a node from outside the simulator.
  void wake(node_id n);

  /// Receives every trace event; an empty hook turns tracing off.
  void set_trace(trace_hook hook) { trace_ = std::move(hook); }

  /// Processes every event due at or before `until`, then sets now() to
  /// `until`. Returns the number of events processed.
  std::uint64_t run_until(time_point until);
  std::uint64_t run_for(duration d) { return run_until(now_ + d); }
  /// Processes events instant by instant until `done()` returns true
  /// (checked before the first instant and after each one) or the next
  /// event lies beyond `limit`. Returns whether `done()` became true; now()
  /// is then the instant at which it did (or `limit`).
  bool run_until(time_point limit, const std::function<bool()>& done);
  /// Processes the events of the next instant that has any; false when
  /// nothing is pending.
  bool step();
  /// The time of the next pending event, or never.
  time_point next_event_time() const noexcept;

  time_point now() const noexcept { return now_; }
  address public_address(node_id n) const;
  address local_address(node_id n) const;
  netem_link& link_at(link_id l);
  const link_stats& stats(link_id l) const;
  const network_stats& stats() const noexcept { return stats_; }
  std::size_t node_count() const noexcept { return nodes_.size(); }
  std::size_t link_count() const noexcept { return links_.size(); }

private:
  enum class event_kind : std::uint8_t { node_timer, link_due, action };
  struct event {
    time_point at;
    std::uint64_t seq;
    event_kind kind;
    std::uint32_t index;
    std::uint64_t gen;
  };
  static bool later(const event& a, const event& b) noexcept {
    return a.at != b.at ? a.at > b.at : a.seq > b.seq;
  }
  struct node_state {
    node* n;
    address local;
    address public_addr;
    time_point timer = never;
    std::uint64_t timer_gen = 0;
    bool started = false;
  };
  struct link_state {
    netem_link model;
    std::string name;
    time_point scheduled = never;
    std::size_t mtu = 0; ///< largest payload admitted; 0 for no limit
  };
  struct route {
    node_id from, to;
    std::vector<link_id> links;
  };

  void push(time_point at, event_kind kind, std::uint32_t index, std::uint64_t gen = 0);
  void process(const event& e);
  void start_pending();
  void service(node_id n);
  void send(node_id from, const transmit& t);
  void enter_link(link_id l, packet&& p);
  void reschedule(link_id l);
  void on_link_due(link_id l);
  void forward(link_id l, packet&& p);
  void emit(const trace_event& e) {
    if (trace_) trace_(e);
  }
  node_state& node_at(node_id n);
  const node_state& node_at(node_id n) const;

  std::uint64_t seed_;
  time_point now_;
  std::vector<event> heap_;
  std::uint64_t next_seq_ = 0;
  std::vector<node_state> nodes_;
  std::vector<link_state> links_;
  std::vector<route> routes_;
  std::unordered_map<std::uint64_t, std::uint32_t> route_index_; ///< (from << 32 | to) -> routes_
  std::unordered_map<address, node_id> by_address_;              ///< public address -> node
  std::vector<std::function<void()>> actions_;
  bool pending_start_ = false;
  std::uint64_t next_packet_id_ = 1;
  std::vector<std::byte> scratch_;
  buffer_pool pool_;
  trace_hook trace_;
  network_stats stats_;
};

} // namespace tern::sim
