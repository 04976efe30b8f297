#pragma once
// Just enough Markdown reading for the tests that hold docs/ to the code:
// tables, headings and fenced code blocks, as docs/ writes them (GitHub
// flavour, fences at the start of a line).

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace tern::test::markdown {

/// The whole file; throws std::runtime_error naming it if it cannot be read.
std::string read_file(const std::filesystem::path& path);

/// The file's lines, without their line ends.
std::vector<std::string_view> lines(std::string_view text);

/// A pipe table: the header's cells and each body row's cells, trimmed (the
/// |---| separator row left out).
struct table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

/// The first table after the line that equals `heading` (e.g. "### 6.2
/// Frames permitted in each packet type"); throws std::runtime_error if there
/// is no such heading or no table before the next heading.
table table_under(std::string_view text, std::string_view heading);

/// A fenced code block (``` or ~~~).
struct code_block {
  std::string info;           ///< what follows the opening fence, e.g. "cpp"
  std::string body;           ///< the lines between the fences, each ending in '\n'
  std::size_t body_line = 0;  ///< 1-based line number of the body's first line
  std::string line_before;    ///< the last non-blank line before the opening fence
};

/// Every fenced block, in order; throws std::runtime_error on a fence that
/// is never closed.
std::vector<code_block> fenced_blocks(std::string_view text);

} // namespace tern::test::markdown
