#pragma once

// Drives a sim::link directly: offers packets and collects what leaves, at
// exactly the link's own event times.

#include "sim/link.hpp"

#include <cstring>
#include <vector>

namespace tern::sim::test {

struct exit_record {
  std::uint64_t id;
  time_point at;
  exit_info info;
  std::vector<std::byte> payload;
};

class link_driver {
public:
  explicit link_driver(const netem_spec& spec, std::uint64_t seed, bool keep_payloads = false)
      : link_(spec, seed, &pool_), keep_(keep_payloads) {}

  /// Takes out everything due up to and including `until`.
  void drain(time_point until) {
    while (link_.next_event() <= until) {
      const time_point t = link_.next_event();
      packet p;
      exit_info info;
      while (link_.dequeue(t, p, &info)) {
        exits.push_back({p.id, t, info, keep_ ? p.payload : std::vector<std::byte>{}});
        pool_.release(std::move(p.payload));
      }
    }
  }

  /// Offers a packet of `size` bytes (byte i = id + i) at `now`, after
  /// draining everything due before it.
  enqueue_outcome offer(std::uint64_t id, std::size_t size, time_point now) {
    drain(now);
    packet p;
    p.payload = pool_.acquire();
    p.payload.resize(size);
    for (std::size_t i = 0; i < size; ++i) p.payload[i] = static_cast<std::byte>(id + i);
    p.id = id;
    return link_.enqueue(std::move(p), now);
  }

  void finish() { drain(never - duration{1}); }

  netem_link& link() { return link_; }
  std::vector<exit_record> exits;

private:
  buffer_pool pool_;
  netem_link link_;
  bool keep_;
};

inline netem_spec spec_of(const char* text) {
  auto r = parse_netem_spec(text);
  if (!r) throw std::runtime_error(r.error().message());
  return *r;
}

} // namespace tern::sim::test
