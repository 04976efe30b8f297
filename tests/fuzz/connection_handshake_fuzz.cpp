// connection_fuzz's programs (the input format is described at the top of
// tests/fuzz/connection_fuzz.cpp), each after a real TLS 1.3 handshake
// between the pair in virtual time (the identity and TLS contexts are made
// once): what a pair made established without TLS cannot reach, such as
// CRYPTO frames after a real handshake, its packet numbers, RTT samples and
// HANDSHAKE_DONE, stays fuzzed. About a hundred times slower than
// connection_fuzz per input. Seeds: tests/fuzz/corpus/connection_handshake/,
// a link to connection_fuzz's.

#include "connection_fuzz_pair.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)tern::fuzz::setup();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tern::fuzz;
  fuzz_pair p{pair_start::real_handshake};
  if (!p.handshake()) fail("the in-memory handshake did not complete");
  input in{data, size};
  p.run(in);
  return 0;
}
