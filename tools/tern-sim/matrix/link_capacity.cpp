#include "link_capacity.hpp"

#include "sim/link.hpp"
#include "sim/packet.hpp"

namespace tern::matrix {

double saturated_link_fraction(const sim::netem_spec& spec, std::uint64_t seed, std::size_t packets,
                               std::size_t payload_bytes) {
  if (spec.rate.bits_per_second == 0 || packets < 2) return 1;
  sim::netem_link link(spec, seed);
  time_point now{};
  time_point first{}, last{};
  std::size_t delivered = 0;
  // The first queueful is offered to an empty link at once, its draws
  // against no backlog: a start-up, not the link's steady capacity.
  const std::size_t warm_up = spec.limit;
  sim::packet out;
  // A generous bound on the loop: every offer either queues or is lost, and
  // a link that loses everything would otherwise never deliver.
  const std::size_t max_offers = (warm_up + packets) * 1000;
  std::size_t offers = 0;
  while (delivered < warm_up + packets && offers < max_offers) {
    while (link.size() < spec.limit && offers < max_offers) {
      sim::packet p;
      p.payload.resize(payload_bytes);
      p.id = offers++;
      p.sent = now;
      link.enqueue(std::move(p), now);
    }
    const time_point next = link.next_event();
    if (next == never) break;
    now = std::max(now, next);
    while (delivered < warm_up + packets && link.dequeue(now, out)) {
      if (delivered == warm_up) first = now;
      last = now;
      ++delivered;
    }
  }
  if (delivered < warm_up + 2 || last <= first) return 0;
  const double seconds = std::chrono::duration<double>(last - first).count();
  const double bits = static_cast<double>(delivered - warm_up - 1) * static_cast<double>(payload_bytes) * 8;
  return bits / seconds / static_cast<double>(spec.rate.bits_per_second);
}

} // namespace tern::matrix
