#include "sim/schedule.hpp"

#include <cctype>

namespace tern::sim {

schedule schedule::for_target(std::string_view name) const {
  schedule out;
  for (const auto& e : entries)
    if (e.target.empty() || e.target == name) out.entries.push_back(e);
  return out;
}

namespace {

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
}

parse_error schedule_error(std::string_view text, std::size_t pos, std::size_t len, std::string expected) {
  return parse_error{make_error_code(sim_errc::bad_schedule), std::string{text.substr(pos, len)}, pos,
                     std::move(expected)};
}

std::size_t token_length(std::string_view text, std::size_t pos) {
  std::size_t end = pos;
  while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end])) && text[end] != ';') ++end;
  return end - pos;
}

} // namespace

parse_result<schedule> parse_schedule(std::string_view text) {
  schedule out;
  std::size_t i = 0;
  auto skip_blank = [&](std::size_t end) {
    while (i < end && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  };
  while (i < text.size()) {
    // One entry runs to the next ';' or newline; a comment to the newline.
    std::size_t end = i;
    while (end < text.size() && text[end] != ';' && text[end] != '\n' && text[end] != '#') ++end;
    std::size_t next = end;
    if (next < text.size() && text[next] == '#')
      while (next < text.size() && text[next] != '\n') ++next;
    if (next < text.size()) ++next;

    skip_blank(end);
    if (i == end) {
      i = next;
      continue;
    }
    if (text.substr(i, 2) != "at" || (i + 2 < end && !std::isspace(static_cast<unsigned char>(text[i + 2]))))
      return schedule_error(text, i, token_length(text, i), "an entry of the form \"at TIME [TARGET]: SPEC\"");
    i += 2;
    skip_blank(end);
    const std::size_t time_pos = i;
    while (i < end && !std::isspace(static_cast<unsigned char>(text[i])) && text[i] != ':') ++i;
    const auto time_text = text.substr(time_pos, i - time_pos);
    if (time_text.empty()) return schedule_error(text, time_pos, token_length(text, time_pos), "a time after at, such as 10s");
    const auto at = parse_time(time_text);
    if (!at) return schedule_error(text, time_pos, time_text.size(), "a time after at, such as 10s");
    skip_blank(end);
    schedule_entry entry;
    entry.at = *at;
    if (i < end && text[i] != ':') {
      const std::size_t name_pos = i;
      while (i < end && is_name_char(text[i])) ++i;
      entry.target = std::string{text.substr(name_pos, i - name_pos)};
      if (entry.target.empty())
        return schedule_error(text, name_pos, token_length(text, name_pos), "':' or a link name");
      skip_blank(end);
    }
    if (i >= end || text[i] != ':')
      return schedule_error(text, i, i < end ? token_length(text, i) : 0, "':' after the time");
    ++i;
    const std::size_t spec_pos = i;
    const auto spec_text = text.substr(spec_pos, end - spec_pos);
    std::size_t first = 0;
    while (first < spec_text.size() && std::isspace(static_cast<unsigned char>(spec_text[first]))) ++first;
    std::size_t last = spec_text.size();
    while (last > first && std::isspace(static_cast<unsigned char>(spec_text[last - 1]))) --last;
    if (spec_text.substr(first, last - first) == "blackout") {
      entry.spec.loss = random_loss{{100, 0}};
    } else {
      auto spec = parse_netem_spec(spec_text);
      if (!spec) {
        parse_error e = spec.error();
        e.position += spec_pos;
        return e;
      }
      entry.spec = std::move(*spec);
    }
    if (!out.entries.empty() && entry.at < out.entries.back().at)
      return schedule_error(text, time_pos, time_text.size(), "times in non-decreasing order");
    out.entries.push_back(std::move(entry));
    i = next;
  }
  return out;
}

std::string to_string(const schedule& s) {
  std::string out;
  for (const auto& e : s.entries) {
    if (!out.empty()) out += "; ";
    out += "at " + format_time(e.at);
    if (!e.target.empty()) out += " " + e.target;
    out += ":";
    const auto spec = to_string(e.spec);
    if (!spec.empty()) out += " " + spec;
  }
  return out;
}

} // namespace tern::sim
