#pragma once

#include "sim/sim_error.hpp"

#include <tern/time.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace tern::sim {

/// Delay distributions netem offers. `uniform` is netem's built-in one (no
/// table); the others are tabled (see distribution.hpp).
enum class delay_distribution : std::uint8_t { uniform, normal, pareto, paretonormal };

/// The keyword tc uses for a distribution ("uniform", "normal", ...).
std::string_view to_string(delay_distribution d) noexcept;

/// A probability with netem's optional correlation, both as the percentages
/// the user wrote (0..100), e.g. `duplicate 1% 25%` = {1, 25}.
struct percent_param {
  double percent = 0;
  double correlation = 0;
  bool operator==(const percent_param&) const = default;
};

/// `loss [random] PERCENT [CORRELATION]`.
struct random_loss {
  percent_param p;
  bool operator==(const random_loss&) const = default;
};

/// `loss state P13 [P31 [P32 [P23 [P14]]]]`: netem's 4-state Markov model.
/// States: 1 transmit in gap, 2 transmit in burst, 3 lost in burst, 4 lost
/// in gap (isolated). Percentages. tc's defaults: p31 = 100 - p13, p32 = 0,
/// p23 = 100, p14 = 0.
struct state_loss {
  double p13 = 0, p31 = 100, p32 = 0, p23 = 100, p14 = 0;
  bool operator==(const state_loss&) const = default;
};

/// `loss gemodel P [R [1-H [1-K]]]`: Gilbert-Elliott. Percentages: p good to
/// bad, r bad to good, loss_bad = 1-h (loss probability in the bad state),
/// loss_good = 1-k (loss probability in the good state). tc's defaults:
/// r = 100 - p, 1-h = 100, 1-k = 0.
struct gemodel_loss {
  double p = 0, r = 100, loss_bad = 100, loss_good = 0;
  bool operator==(const gemodel_loss&) const = default;
};

using loss_model_spec = std::variant<std::monostate, random_loss, state_loss, gemodel_loss>;

/// `rate RATE [PACKETOVERHEAD [CELLSIZE [CELLOVERHEAD]]]`; bits_per_second 0
/// means no rate limit.
struct rate_spec {
  std::uint64_t bits_per_second = 0;
  std::int32_t packet_overhead = 0; ///< bytes added to (or, negative, removed from) each packet
  std::uint32_t cell_size = 0;      ///< 0: no cell framing
  std::int32_t cell_overhead = 0;   ///< bytes added per cell
  bool operator==(const rate_spec&) const = default;
};

/// `slot MIN [MAX] [packets N] [bytes B]` or
/// `slot distribution DIST DELAY JITTER [packets N] [bytes B]`.
struct slot_spec {
  bool enabled = false;
  bool use_distribution = false;
  duration min_delay{0}, max_delay{0};          ///< when !use_distribution
  delay_distribution distribution = delay_distribution::uniform;
  duration dist_delay{0}, dist_jitter{0};        ///< when use_distribution
  std::int32_t max_packets = 0;                  ///< 0: unlimited
  std::int64_t max_bytes = 0;                    ///< 0: unlimited
  bool operator==(const slot_spec&) const = default;
};

/// One direction's impairments, with netem's meaning for every field
/// (tc-netem(8)). Default-constructed: a perfect link (no delay, no loss,
/// netem's default limit of 1000 packets).
struct netem_spec {
  std::uint32_t limit = 1000;          ///< packets the link may hold (queued + in flight)
  duration delay{0};
  duration jitter{0};
  double delay_correlation = 0;        ///< percent
  delay_distribution distribution = delay_distribution::uniform;
  loss_model_spec loss;
  bool ecn = false;                    ///< mark CE instead of dropping on a loss event
  percent_param duplicate;
  percent_param reorder;
  std::uint32_t gap = 0;               ///< 0 when reorder is off; tc makes it 1 when reorder is on
  percent_param corrupt;
  rate_spec rate;
  slot_spec slot;
  std::optional<std::uint64_t> seed;   ///< netem's `seed`; overrides the link's seed when set

  bool operator==(const netem_spec&) const = default;
};

/// Parses an impairment spec written as `tc qdisc add ... netem` takes it,
/// e.g. "delay 100ms 10ms 25% distribution normal loss 1% rate 10mbit".
/// Keywords: limit, delay (alias latency), distribution, loss (alias drop)
/// [random|state|gemodel], ecn, duplicate, reorder, gap, corrupt, rate, slot,
/// seed. Times take s/sec/secs, ms/msec/msecs, us/usec/usecs, ns/nsec/nsecs
/// (a bare number is microseconds, as in tc); percentages take an optional
/// '%'; rates take tc's units (bit, kbit, mbit, gbit, tbit, kibit..., bps,
/// kbps, mbps..., case-insensitive; a bare number is bit/s). Errors
/// (sim_errc::bad_spec) name the offending token, its byte offset and what
/// was expected; netem's own consistency rules are enforced (reorder needs a
/// delay, gap needs reorder, ecn needs a loss model, distribution needs delay
/// and jitter). An empty string is a perfect link.
parse_result<netem_spec> parse_netem_spec(std::string_view text);

/// Canonical tc form: keywords in a fixed order, defaults omitted, times in
/// the largest unit that represents them exactly, percentages in the shortest
/// form that reads back to the same value. parse_netem_spec(to_string(s)) == s.
std::string to_string(const netem_spec& spec);

/// Formats a duration the way to_string(netem_spec) does ("100ms", "1500us").
std::string format_time(duration d);

/// Parses one time token as tc does ("10ms", "1.5s", "250" = 250us).
/// Times above 10^15 ns (about 11.6 days) are rejected.
std::optional<duration> parse_time(std::string_view token);

} // namespace tern::sim
