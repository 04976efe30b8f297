// Replays a committed seed corpus through a fuzz target's entry point in the
// ordinary (gcc, non-fuzz) build, so an input that crashed a target once
// stays a failing ctest without clang or libFuzzer. Linked with one
// <name>_fuzz.cpp in place of libFuzzer's driver; tests/CMakeLists.txt runs
// it on tests/fuzz/corpus/<name>/.
//
// Usage: <name>_fuzz_replay CORPUS_DIR. Every regular file is one input, in
// name order. A target reports a failure by aborting (as under libFuzzer);
// an empty or missing directory is an error too, so a renamed corpus cannot
// leave the test passing on nothing.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
// Optional in a target, as under libFuzzer.
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argc > 0 ? argv[0] : "fuzz_replay");
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (std::filesystem::directory_iterator it{dir, ec}, end; !ec && it != end; it.increment(ec))
    if (it->is_regular_file()) files.push_back(it->path());
  if (ec || files.empty()) {
    std::fprintf(stderr, "%s: no seeds in %s%s%s\n", argv[0], dir.c_str(), ec ? ": " : "",
                 ec ? ec.message().c_str() : "");
    return 1;
  }
  std::sort(files.begin(), files.end());
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  for (const auto& f : files) {
    std::ifstream in{f, std::ios::binary};
    const std::vector<char> bytes{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
    if (!in.eof() && in.fail()) {
      std::fprintf(stderr, "cannot read %s\n", f.c_str());
      return 1;
    }
    // Printed before the call: if the target aborts, the last line names the seed.
    std::printf("%s (%zu bytes)\n", f.filename().c_str(), bytes.size());
    std::fflush(stdout);
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  }
  std::printf("%zu seeds replayed\n", files.size());
  return 0;
}
