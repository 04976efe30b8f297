// snippet_extract MARKDOWN OUT_DIR NAME...
//
// Writes each ```cpp block of MARKDOWN to OUT_DIR/<name>.inc, for the build
// to compile inside tests/docs/snippets/<name>.cpp, which gives the block
// what it needs around it (includes, the variables it uses, a coroutine to
// run in). The block's marker, an HTML comment on the line before it, names
// that file:
//
//   <!-- compiled in tests/docs/snippets/endpoint.cpp -->
//   ```cpp
//
// NAME... are the snippet files that exist. It fails, and so fails the
// build, when a cpp block has no marker, a marker names a file that is not
// there or is named twice, or a snippet file is named by no marker: no block
// of the document goes uncompiled, and no snippet file outlives its block.
// Each .inc starts with a #line directive, so a compiler error points at the
// document's own line. A file whose text is unchanged is not rewritten, so
// editing the prose recompiles nothing.
#include "markdown.hpp"

#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <string_view>

namespace md = tern::test::markdown;

namespace {

// NAME from a marker "<!-- compiled in tests/docs/snippets/NAME.cpp -->"
// (NAME in [a-z0-9_]), or "" when `line` is none.
std::string marked_name(std::string_view line) {
  constexpr std::string_view prefix = "<!-- compiled in tests/docs/snippets/";
  constexpr std::string_view suffix = ".cpp -->";
  if (!line.starts_with(prefix) || !line.ends_with(suffix)) return {};
  const auto name = line.substr(prefix.size(), line.size() - prefix.size() - suffix.size());
  if (name.empty() || name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string_view::npos)
    return {};
  return std::string(name);
}

void write_if_changed(const std::filesystem::path& path, const std::string& text) {
  if (std::filesystem::exists(path) && md::read_file(path) == text) return;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) throw std::runtime_error("cannot write " + path.string());
}

} // namespace

int main(int argc, char** argv) try {
  if (argc < 3) {
    std::fprintf(stderr, "usage: snippet_extract MARKDOWN OUT_DIR NAME...\n");
    return 2;
  }
  const std::filesystem::path document = argv[1];
  const std::filesystem::path out_dir = argv[2];
  std::set<std::string> unclaimed(argv + 3, argv + argc);
  const std::set<std::string> known = unclaimed;
  std::map<std::string, std::string> sources;
  int errors = 0;
  const auto fail = [&](std::size_t line, const std::string& what) {
    std::fprintf(stderr, "%s:%zu: %s\n", document.c_str(), line, what.c_str());
    ++errors;
  };
  for (const auto& block : md::fenced_blocks(md::read_file(document))) {
    if (block.info != "cpp") continue;
    const auto fence_line = block.body_line - 1;
    const std::string name = marked_name(block.line_before);
    if (name.empty()) {
      fail(fence_line, "a cpp block without its marker \"<!-- compiled in tests/docs/snippets/NAME.cpp -->\" "
                       "on the line before");
      continue;
    }
    if (!known.contains(name)) {
      fail(fence_line, "tests/docs/snippets/" + name + ".cpp does not exist");
      continue;
    }
    if (sources.contains(name)) {
      fail(fence_line, "tests/docs/snippets/" + name + ".cpp already compiles another block");
      continue;
    }
    unclaimed.erase(name);
    sources[name] = "#line " + std::to_string(block.body_line) + " \"" + document.string() + "\"\n" + block.body;
  }
  for (const auto& name : unclaimed) fail(1, "no block is marked as compiled in tests/docs/snippets/" + name + ".cpp");
  if (errors > 0) return 1;
  std::filesystem::create_directories(out_dir);
  for (const auto& [name, text] : sources) write_if_changed(out_dir / (name + ".inc"), text);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "snippet_extract: %s\n", e.what());
  return 1;
}
