#pragma once

// media's --fec option: forward error correction of the video frames
// (config::fec, docs/fec.md) chosen on the command line, anywhere in it.

#include <tern/config.hpp>

#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace media_example {

/// The mode `text` names ("off", "adaptive", "fixed"), or nothing.
inline std::optional<tern::fec_mode> parse_fec_mode(std::string_view text) {
  if (text == "off") return tern::fec_mode::off;
  if (text == "adaptive") return tern::fec_mode::adaptive;
  if (text == "fixed") return tern::fec_mode::fixed;
  return std::nullopt;
}

/// Takes "--fec MODE" (or "--fec=MODE") out of argv, so the positional
/// arguments read as without it, and sets `mode`. Returns what is wrong
/// with it ("" when fine or absent).
inline std::string take_fec_option(int& argc, char** argv, tern::fec_mode& mode) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    std::string_view value;
    int used = 0;
    if (arg == "--fec") {
      if (i + 1 >= argc) return "--fec needs off, adaptive or fixed";
      value = argv[i + 1];
      used = 2;
    } else if (arg.starts_with("--fec=")) {
      value = arg.substr(6);
      used = 1;
    } else {
      continue;
    }
    const auto parsed = parse_fec_mode(value);
    if (!parsed) return "bad --fec '" + std::string(value) + "' (off, adaptive or fixed)";
    mode = *parsed;
    for (int j = i; j + used <= argc; ++j) argv[j] = argv[j + used]; // argv[argc] is null
    argc -= used;
    return take_fec_option(argc, argv, mode); // a later --fec wins
  }
  return {};
}

} // namespace media_example
