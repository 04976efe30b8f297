// Parser and printer for netem impairment specs.
//
// The grammar is tc-netem(8)'s: a flat list of keywords in any order, each
// followed by its arguments; optional trailing arguments are recognised, as
// tc does, by their first character being a digit. tc's defaults and
// consistency rules are reproduced (iproute2 tc/q_netem.c semantics):
// `loss state` and `loss gemodel` fill unspecified parameters from the first
// one, `reorder` needs a delay and sets gap to 1 when none is given, `gap`
// needs `reorder`, `ecn` needs a loss model, `distribution` needs a delay and
// a jitter. Unlike tc, abbreviated keywords are not accepted and a second
// occurrence of a keyword is an error rather than an override, so a typo
// cannot silently change a test's network.

#include "sim/netem_spec.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace tern::sim {

std::string_view to_string(delay_distribution d) noexcept {
  switch (d) {
  case delay_distribution::uniform: return "uniform";
  case delay_distribution::normal: return "normal";
  case delay_distribution::pareto: return "pareto";
  case delay_distribution::paretonormal: return "paretonormal";
  }
  return "uniform";
}

namespace {

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

// Splits a leading decimal number (digits, optional fraction, optional
// exponent) from its unit suffix. Signs are not accepted: every netem
// quantity parsed through here is non-negative.
bool split_number(std::string_view token, double& value, std::string_view& suffix) noexcept {
  if (token.empty() || !(std::isdigit(static_cast<unsigned char>(token[0])) || token[0] == '.')) return false;
  const char* first = token.data();
  const char* last = token.data() + token.size();
  auto [ptr, ec] = std::from_chars(first, last, value, std::chars_format::general);
  if (ec != std::errc{} || !std::isfinite(value) || value < 0) return false;
  suffix = std::string_view{ptr, static_cast<std::size_t>(last - ptr)};
  return true;
}

struct unit {
  std::string_view name;
  double scale;
};

constexpr std::array time_units{
    unit{"s", 1e9},     unit{"sec", 1e9},  unit{"secs", 1e9},  unit{"ms", 1e6},    unit{"msec", 1e6},
    unit{"msecs", 1e6}, unit{"us", 1e3},   unit{"usec", 1e3},  unit{"usecs", 1e3}, unit{"ns", 1},
    unit{"nsec", 1},    unit{"nsecs", 1},
};

// tc's rate suffixes (iproute2 get_rate64), compared case-insensitively, so
// "kbps" is kilobytes per second and "kbit" kilobits per second.
constexpr std::array rate_units{
    unit{"bit", 1.},
    unit{"kibit", 1024.},
    unit{"kbit", 1000.},
    unit{"mibit", 1024. * 1024.},
    unit{"mbit", 1e6},
    unit{"gibit", 1024. * 1024. * 1024.},
    unit{"gbit", 1e9},
    unit{"tibit", 1024. * 1024. * 1024. * 1024.},
    unit{"tbit", 1e12},
    unit{"bps", 8.},
    unit{"kibps", 8. * 1024.},
    unit{"kbps", 8e3},
    unit{"mibps", 8. * 1024. * 1024.},
    unit{"mbps", 8e6},
    unit{"gibps", 8. * 1024. * 1024. * 1024.},
    unit{"gbps", 8e9},
    unit{"tibps", 8. * 1024. * 1024. * 1024. * 1024.},
    unit{"tbps", 8e12},
};

std::optional<double> parse_percent_token(std::string_view token) {
  double v = 0;
  std::string_view suffix;
  if (!split_number(token, v, suffix)) return std::nullopt;
  if (!suffix.empty() && suffix != "%") return std::nullopt;
  if (v > 100) return std::nullopt;
  return v;
}

std::optional<std::uint64_t> parse_rate_token(std::string_view token) {
  double v = 0;
  std::string_view suffix;
  if (!split_number(token, v, suffix)) return std::nullopt;
  double scale = 1;
  if (!suffix.empty()) {
    bool found = false;
    for (const auto& u : rate_units)
      if (iequals(u.name, suffix)) {
        scale = u.scale;
        found = true;
        break;
      }
    if (!found) return std::nullopt;
  }
  const double bits = std::round(v * scale);
  if (bits < 1 || bits > 1.8e19) return std::nullopt;
  return static_cast<std::uint64_t>(bits);
}

template <class Int>
std::optional<Int> parse_int_token(std::string_view token) {
  Int v{};
  auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), v);
  if (ec != std::errc{} || ptr != token.data() + token.size()) return std::nullopt;
  return v;
}

// Sizes as tc's get_size takes them: bytes, with optional k/kb, m/mb, g/gb
// (binary multiples) or b.
std::optional<std::int64_t> parse_size_token(std::string_view token) {
  double v = 0;
  std::string_view suffix;
  if (!split_number(token, v, suffix)) return std::nullopt;
  double scale = 1;
  if (suffix.empty() || iequals(suffix, "b")) scale = 1;
  else if (iequals(suffix, "k") || iequals(suffix, "kb")) scale = 1024.;
  else if (iequals(suffix, "m") || iequals(suffix, "mb")) scale = 1024. * 1024.;
  else if (iequals(suffix, "g") || iequals(suffix, "gb")) scale = 1024. * 1024. * 1024.;
  else return std::nullopt;
  const double bytes = std::round(v * scale);
  if (bytes > static_cast<double>(std::numeric_limits<std::int32_t>::max())) return std::nullopt;
  return static_cast<std::int64_t>(bytes);
}

struct token {
  std::string_view text;
  std::size_t pos;
};

std::vector<token> tokenize(std::string_view text) {
  std::vector<token> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i >= text.size()) break;
    const std::size_t start = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    out.push_back({text.substr(start, i - start), start});
  }
  return out;
}

constexpr std::string_view keyword_list =
    "a keyword (limit, delay, distribution, loss, ecn, duplicate, reorder, gap, corrupt, rate, slot, seed)";

class spec_parser {
public:
  explicit spec_parser(std::string_view text) : text_(text), toks_(tokenize(text)) {}

  parse_result<netem_spec> run() {
    netem_spec s;
    bool seen[16]{};
    auto once = [&](int key, const token& t) {
      if (seen[key]) return fail(t, "each keyword at most once");
      seen[key] = true;
      return true;
    };
    while (i_ < toks_.size()) {
      const token t = toks_[i_++];
      const auto kw = t.text;
      if (kw == "limit") {
        if (!once(0, t)) return err_;
        auto n = expect_int<std::uint32_t>("a packet count after limit, such as 1000");
        if (!n) return err_;
        if (*n == 0) return fail_r(toks_[i_ - 1], "a packet count of at least 1");
        s.limit = *n;
      } else if (kw == "delay" || kw == "latency") {
        if (!once(1, t)) return err_;
        auto d = expect_time("a time after delay, such as 100ms");
        if (!d) return err_;
        s.delay = *d;
        if (next_is_number()) {
          auto j = expect_time("a jitter time, such as 10ms");
          if (!j) return err_;
          s.jitter = *j;
          if (next_is_number()) {
            auto c = expect_percent("a correlation percentage, such as 25%");
            if (!c) return err_;
            s.delay_correlation = *c;
          }
        }
      } else if (kw == "distribution") {
        if (!once(2, t)) return err_;
        auto d = expect_distribution();
        if (!d) return err_;
        s.distribution = *d;
        dist_token_ = t;
      } else if (kw == "loss" || kw == "drop") {
        if (!once(3, t)) return err_;
        if (!parse_loss(s)) return err_;
        loss_token_ = t;
      } else if (kw == "ecn") {
        if (!once(4, t)) return err_;
        s.ecn = true;
        ecn_token_ = t;
      } else if (kw == "duplicate") {
        if (!once(5, t)) return err_;
        if (!parse_pair(s.duplicate, "a percentage after duplicate, such as 1%")) return err_;
      } else if (kw == "reorder") {
        if (!once(6, t)) return err_;
        if (!parse_pair(s.reorder, "a percentage after reorder, such as 25%")) return err_;
        reorder_token_ = t;
      } else if (kw == "gap") {
        if (!once(7, t)) return err_;
        auto n = expect_int<std::uint32_t>("a packet count after gap, such as 5");
        if (!n) return err_;
        s.gap = *n;
        gap_token_ = t;
      } else if (kw == "corrupt") {
        if (!once(8, t)) return err_;
        if (!parse_pair(s.corrupt, "a percentage after corrupt, such as 0.1%")) return err_;
      } else if (kw == "rate") {
        if (!once(9, t)) return err_;
        if (!parse_rate(s.rate)) return err_;
      } else if (kw == "slot") {
        if (!once(10, t)) return err_;
        if (!parse_slot(s.slot)) return err_;
      } else if (kw == "seed") {
        if (!once(11, t)) return err_;
        auto n = expect_int<std::uint64_t>("an unsigned integer seed");
        if (!n) return err_;
        s.seed = *n;
      } else {
        fail(t, std::string{keyword_list});
        return err_;
      }
    }
    // netem's cross-keyword rules, as tc enforces them.
    if (s.reorder.percent > 0) {
      if (s.delay.count() == 0) {
        fail(*reorder_token_, "a delay as well: netem reorders only delayed packets (add delay TIME)");
        return err_;
      }
      if (s.gap == 0) s.gap = 1;
    } else if (gap_token_) { // tc: "gap specified without reorder probability"
      fail(*gap_token_, "reorder PERCENT as well: gap only applies to reordering");
      return err_;
    }
    if (ecn_token_ && std::holds_alternative<std::monostate>(s.loss)) {
      fail(*ecn_token_, "a loss model as well: ecn marks instead of dropping on a loss event");
      return err_;
    }
    if (dist_token_ && (s.delay.count() == 0 || s.jitter.count() == 0)) {
      fail(*dist_token_, "a delay with jitter as well (delay TIME JITTER)");
      return err_;
    }
    return s;
  }

private:
  bool fail(const token& t, std::string expected) {
    err_ = parse_error{make_error_code(sim_errc::bad_spec), std::string{t.text}, t.pos, std::move(expected)};
    return false;
  }
  parse_error fail_r(const token& t, std::string expected) {
    fail(t, std::move(expected));
    return err_;
  }
  bool fail_end(std::string expected) {
    err_ = parse_error{make_error_code(sim_errc::bad_spec), {}, text_.size(), std::move(expected)};
    return false;
  }

  bool next_is_number() const {
    return i_ < toks_.size() && std::isdigit(static_cast<unsigned char>(toks_[i_].text[0]));
  }
  bool next_is_signed_number() const {
    return next_is_number() || (i_ < toks_.size() && toks_[i_].text[0] == '-' && toks_[i_].text.size() > 1 &&
                                std::isdigit(static_cast<unsigned char>(toks_[i_].text[1])));
  }
  bool next_is(std::string_view kw) const { return i_ < toks_.size() && toks_[i_].text == kw; }

  const token* take(const std::string& expected) {
    if (i_ >= toks_.size()) {
      fail_end(expected);
      return nullptr;
    }
    return &toks_[i_++];
  }

  std::optional<duration> expect_time(const std::string& expected) {
    const token* t = take(expected);
    if (t == nullptr) return std::nullopt;
    auto d = parse_time(t->text);
    if (!d) fail(*t, expected);
    return d;
  }
  std::optional<double> expect_percent(const std::string& expected) {
    const token* t = take(expected);
    if (t == nullptr) return std::nullopt;
    auto p = parse_percent_token(t->text);
    if (!p) fail(*t, expected + " (between 0% and 100%)");
    return p;
  }
  template <class Int>
  std::optional<Int> expect_int(const std::string& expected) {
    const token* t = take(expected);
    if (t == nullptr) return std::nullopt;
    auto n = parse_int_token<Int>(t->text);
    if (!n) fail(*t, expected);
    return n;
  }
  std::optional<delay_distribution> expect_distribution() {
    const std::string expected = "a distribution: uniform, normal, pareto or paretonormal";
    const token* t = take(expected);
    if (t == nullptr) return std::nullopt;
    for (auto d : {delay_distribution::uniform, delay_distribution::normal, delay_distribution::pareto,
                   delay_distribution::paretonormal})
      if (t->text == to_string(d)) return d;
    fail(*t, expected);
    return std::nullopt;
  }

  bool parse_pair(percent_param& p, const std::string& expected) {
    auto v = expect_percent(expected);
    if (!v) return false;
    p.percent = *v;
    if (next_is_number()) {
      auto c = expect_percent("a correlation percentage, such as 25%");
      if (!c) return false;
      p.correlation = *c;
    }
    return true;
  }

  bool parse_loss(netem_spec& s) {
    const std::string expected = "a loss percentage, or random, state or gemodel";
    const token* t = take(expected);
    if (t == nullptr) return false;
    if (t->text == "random" || std::isdigit(static_cast<unsigned char>(t->text[0]))) {
      if (t->text != "random") --i_; // tc's older syntax: loss PERCENT
      random_loss r;
      if (!parse_pair(r.p, "a loss percentage, such as 1%")) return false;
      s.loss = r;
      return true;
    }
    if (t->text == "state") {
      state_loss m;
      auto p13 = expect_percent("the p13 percentage after loss state");
      if (!p13) return false;
      m.p13 = *p13;
      m.p31 = 100 - *p13;
      double* rest[] = {&m.p31, &m.p32, &m.p23, &m.p14};
      const char* names[] = {"p31", "p32", "p23", "p14"};
      for (int k = 0; k < 4 && next_is_number(); ++k) {
        auto v = expect_percent(std::string{"the "} + names[k] + " percentage");
        if (!v) return false;
        *rest[k] = *v;
      }
      // The kernel compares one draw against p14 and p14 + p13 (and p32,
      // p32 + p31): each pair must leave room for staying put.
      if (m.p13 + m.p14 > 100) return fail(*t, "p13 + p14 at most 100%");
      if (m.p31 + m.p32 > 100) return fail(*t, "p31 + p32 at most 100%");
      s.loss = m;
      return true;
    }
    if (t->text == "gemodel") {
      gemodel_loss m;
      auto p = expect_percent("the p percentage after loss gemodel");
      if (!p) return false;
      m.p = *p;
      m.r = 100 - *p;
      double* rest[] = {&m.r, &m.loss_bad, &m.loss_good};
      const char* names[] = {"r", "1-h", "1-k"};
      for (int k = 0; k < 3 && next_is_number(); ++k) {
        auto v = expect_percent(std::string{"the "} + names[k] + " percentage");
        if (!v) return false;
        *rest[k] = *v;
      }
      s.loss = m;
      return true;
    }
    return fail(*t, expected);
  }

  bool parse_rate(rate_spec& r) {
    const std::string expected = "a rate such as 10mbit, 500kbit or 1gbit";
    const token* t = take(expected);
    if (t == nullptr) return false;
    if (t->text.find('%') != std::string_view::npos)
      return fail(*t, expected + " (a percentage of a device's speed has no meaning here)");
    auto bits = parse_rate_token(t->text);
    if (!bits) return fail(*t, expected);
    r.bits_per_second = *bits;
    if (next_is_signed_number()) {
      auto v = expect_int<std::int32_t>("a packet overhead in bytes, such as 28 or -14");
      if (!v) return false;
      r.packet_overhead = *v;
    }
    if (next_is_number()) {
      auto v = expect_int<std::uint32_t>("a cell size in bytes");
      if (!v) return false;
      r.cell_size = *v;
    }
    if (next_is_signed_number()) {
      auto v = expect_int<std::int32_t>("a cell overhead in bytes");
      if (!v) return false;
      r.cell_overhead = *v;
    }
    return true;
  }

  bool parse_slot(slot_spec& sl) {
    sl.enabled = true;
    if (next_is_number()) {
      auto mn = expect_time("a minimum slot delay, such as 1ms");
      if (!mn) return false;
      sl.min_delay = sl.max_delay = *mn;
      if (next_is_number()) {
        const token& t = toks_[i_];
        auto mx = expect_time("a maximum slot delay");
        if (!mx) return false;
        if (*mx < *mn) return fail(t, "a maximum slot delay no smaller than the minimum");
        sl.max_delay = *mx;
      }
    } else {
      const std::string expected = "a slot delay such as 1ms, or distribution DIST DELAY JITTER";
      const token* t = take(expected);
      if (t == nullptr) return false;
      if (t->text != "distribution") return fail(*t, expected);
      sl.use_distribution = true;
      auto d = expect_distribution();
      if (!d) return false;
      sl.distribution = *d;
      auto dl = expect_time("a slot delay, such as 5ms");
      if (!dl) return false;
      sl.dist_delay = *dl;
      const std::size_t jt = i_;
      auto jit = expect_time("a slot jitter, such as 1ms");
      if (!jit) return false;
      if (jit->count() <= 0) return fail(toks_[jt], "a positive slot jitter");
      sl.dist_jitter = *jit;
    }
    if (next_is("packets")) {
      ++i_;
      auto n = expect_int<std::int32_t>("a packet count after packets");
      if (!n) return false;
      if (*n <= 0) return fail(toks_[i_ - 1], "a positive packet count");
      sl.max_packets = *n;
    }
    if (next_is("bytes")) {
      ++i_;
      const std::string expected = "a byte count after bytes, such as 1500 or 64kb";
      const token* t = take(expected);
      if (t == nullptr) return false;
      auto n = parse_size_token(t->text);
      if (!n || *n <= 0) return fail(*t, expected);
      sl.max_bytes = *n;
    }
    return true;
  }

  std::string_view text_;
  std::vector<token> toks_;
  std::size_t i_ = 0;
  parse_error err_;
  std::optional<token> reorder_token_, gap_token_, ecn_token_, dist_token_, loss_token_;
};

std::string format_percent(double v) {
  char buf[64];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  std::string out{buf, ptr};
  out += '%';
  return out;
}

std::string format_rate(std::uint64_t bits) {
  struct named {
    std::uint64_t scale;
    const char* name;
  };
  for (auto [scale, name] : {named{1000000000000ULL, "tbit"}, named{1000000000ULL, "gbit"}, named{1000000ULL, "mbit"},
                             named{1000ULL, "kbit"}})
    if (bits % scale == 0) return std::to_string(bits / scale) + name;
  return std::to_string(bits) + "bit";
}

void append_pair(std::string& out, std::string_view kw, const percent_param& p) {
  out += ' ';
  out += kw;
  out += ' ';
  out += format_percent(p.percent);
  if (p.correlation != 0) {
    out += ' ';
    out += format_percent(p.correlation);
  }
}

} // namespace

std::optional<duration> parse_time(std::string_view token) {
  double v = 0;
  std::string_view suffix;
  if (!split_number(token, v, suffix)) return std::nullopt;
  double scale = 1e3; // a bare number is microseconds, as in tc
  if (!suffix.empty()) {
    bool found = false;
    for (const auto& u : time_units)
      if (iequals(u.name, suffix)) {
        scale = u.scale;
        found = true;
        break;
      }
    if (!found) return std::nullopt;
  }
  // Capped at 10^15 ns (about 11.6 days) so that delay arithmetic on
  // tern::time_point can never overflow.
  const double ns = std::round(v * scale);
  if (ns > 1e15) return std::nullopt;
  return duration{static_cast<std::int64_t>(ns)};
}

std::string format_time(duration d) {
  const auto ns = d.count();
  if (ns != 0) {
    if (ns % 1000000000 == 0) return std::to_string(ns / 1000000000) + "s";
    if (ns % 1000000 == 0) return std::to_string(ns / 1000000) + "ms";
    if (ns % 1000 == 0) return std::to_string(ns / 1000) + "us";
    return std::to_string(ns) + "ns";
  }
  return "0s";
}

parse_result<netem_spec> parse_netem_spec(std::string_view text) { return spec_parser{text}.run(); }

std::string to_string(const netem_spec& s) {
  std::string out;
  if (s.limit != 1000) out += " limit " + std::to_string(s.limit);
  if (s.delay.count() != 0 || s.jitter.count() != 0 || s.delay_correlation != 0) {
    out += " delay " + format_time(s.delay);
    if (s.jitter.count() != 0 || s.delay_correlation != 0) out += " " + format_time(s.jitter);
    if (s.delay_correlation != 0) out += " " + format_percent(s.delay_correlation);
  }
  if (s.distribution != delay_distribution::uniform) {
    out += " distribution ";
    out += to_string(s.distribution);
  }
  if (const auto* r = std::get_if<random_loss>(&s.loss)) {
    append_pair(out, "loss", r->p);
  } else if (const auto* m = std::get_if<state_loss>(&s.loss)) {
    out += " loss state " + format_percent(m->p13) + " " + format_percent(m->p31) + " " + format_percent(m->p32) +
           " " + format_percent(m->p23) + " " + format_percent(m->p14);
  } else if (const auto* g = std::get_if<gemodel_loss>(&s.loss)) {
    out += " loss gemodel " + format_percent(g->p) + " " + format_percent(g->r) + " " + format_percent(g->loss_bad) +
           " " + format_percent(g->loss_good);
  }
  if (s.ecn) out += " ecn";
  if (s.duplicate != percent_param{}) append_pair(out, "duplicate", s.duplicate);
  if (s.reorder != percent_param{}) {
    append_pair(out, "reorder", s.reorder);
    if (s.reorder.percent > 0 && s.gap != 1) out += " gap " + std::to_string(s.gap);
  }
  if (s.corrupt != percent_param{}) append_pair(out, "corrupt", s.corrupt);
  if (s.rate.bits_per_second != 0) {
    out += " rate " + format_rate(s.rate.bits_per_second);
    const bool cell = s.rate.cell_size != 0 || s.rate.cell_overhead != 0;
    if (s.rate.packet_overhead != 0 || cell) out += " " + std::to_string(s.rate.packet_overhead);
    if (cell) out += " " + std::to_string(s.rate.cell_size);
    if (s.rate.cell_overhead != 0) out += " " + std::to_string(s.rate.cell_overhead);
  }
  if (s.slot.enabled) {
    if (s.slot.use_distribution) {
      out += " slot distribution ";
      out += to_string(s.slot.distribution);
      out += " " + format_time(s.slot.dist_delay) + " " + format_time(s.slot.dist_jitter);
    } else {
      out += " slot " + format_time(s.slot.min_delay);
      if (s.slot.max_delay != s.slot.min_delay) out += " " + format_time(s.slot.max_delay);
    }
    if (s.slot.max_packets != 0) out += " packets " + std::to_string(s.slot.max_packets);
    if (s.slot.max_bytes != 0) out += " bytes " + std::to_string(s.slot.max_bytes);
  }
  if (s.seed) out += " seed " + std::to_string(*s.seed);
  if (!out.empty()) out.erase(0, 1);
  return out;
}

} // namespace tern::sim
