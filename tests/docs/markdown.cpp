#include "markdown.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace tern::test::markdown {
namespace {

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

bool is_table_row(std::string_view line) { return trim(line).starts_with('|'); }

std::vector<std::string> cells(std::string_view row) {
  row = trim(row);
  row.remove_prefix(1); // the leading '|'
  if (row.ends_with('|')) row.remove_suffix(1);
  std::vector<std::string> out;
  for (std::size_t at = 0;;) {
    const auto bar = row.find('|', at);
    out.emplace_back(trim(row.substr(at, bar == std::string_view::npos ? std::string_view::npos : bar - at)));
    if (bar == std::string_view::npos) return out;
    at = bar + 1;
  }
}

bool is_separator_row(const std::vector<std::string>& row) {
  for (const auto& c : row)
    if (c.empty() || c.find_first_not_of("-: ") != std::string::npos) return false;
  return true;
}

// The fence characters an opening line uses ("```", "~~~~", ...), or "".
std::string_view fence_of(std::string_view line) {
  for (const char c : {'`', '~'}) {
    const auto n = line.find_first_not_of(c);
    if (n >= 3) return line.substr(0, n == std::string_view::npos ? line.size() : n);
  }
  return {};
}

} // namespace

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string_view> lines(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    const auto end = text.find('\n');
    out.push_back(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return out;
}

table table_under(std::string_view text, std::string_view heading) {
  const auto all = lines(text);
  std::size_t i = 0;
  while (i < all.size() && all[i] != heading) ++i;
  if (i == all.size()) throw std::runtime_error("no heading \"" + std::string(heading) + "\"");
  for (++i; i < all.size() && !is_table_row(all[i]); ++i)
    if (all[i].starts_with('#')) break;
  if (i == all.size() || !is_table_row(all[i]))
    throw std::runtime_error("no table under \"" + std::string(heading) + "\"");
  table t;
  t.header = cells(all[i]);
  for (++i; i < all.size() && is_table_row(all[i]); ++i) {
    auto row = cells(all[i]);
    if (!is_separator_row(row)) t.rows.push_back(std::move(row));
  }
  return t;
}

std::vector<code_block> fenced_blocks(std::string_view text) {
  const auto all = lines(text);
  std::vector<code_block> out;
  std::string_view last_text_line;
  for (std::size_t i = 0; i < all.size(); ++i) {
    const auto fence = fence_of(all[i]);
    if (fence.empty()) {
      if (!trim(all[i]).empty()) last_text_line = all[i];
      continue;
    }
    code_block b;
    b.info = trim(all[i].substr(fence.size()));
    b.body_line = i + 2;
    b.line_before = last_text_line;
    std::size_t j = i + 1;
    // A closing fence: the same character, at least as long, nothing after.
    while (j < all.size() && !(trim(all[j]).starts_with(fence) && trim(all[j]).find_first_not_of(fence[0]) ==
                                                                        std::string_view::npos))
      b.body.append(all[j++]).push_back('\n');
    if (j == all.size())
      throw std::runtime_error("the code block opened on line " + std::to_string(i + 1) + " is never closed");
    out.push_back(std::move(b));
    last_text_line = {};
    i = j;
  }
  return out;
}

} // namespace tern::test::markdown
