// The CSPRNG half of tern::random_source (include/tern/random.hpp): the
// values a peer or an observer sees must not be predictable from earlier
// ones, which xoshiro's output is (four outputs give away its state). Only
// drivers on a real network make such a source; tests and the simulator
// keep the seeded one, which never reaches this file.

#include <tern/random.hpp>

#include <openssl/rand.h>

#include <array>
#include <climits>
#include <cstring>

namespace tern {

bool detail::csprng_fill(std::span<std::byte> out) noexcept {
  // RAND_bytes takes an int length; tern only ever asks for a few bytes.
  if (out.size() > static_cast<std::size_t>(INT_MAX)) return false;
  return RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(out.size())) == 1;
}

random_source random_source::unpredictable(std::uint64_t seed) noexcept {
  if (seed == 0) {
    std::array<std::byte, sizeof seed> bytes{};
    // A failed draw leaves seed 0: still a valid (if guessable) generator,
    // and fill() keeps trying the CSPRNG for everything a peer sees.
    if (detail::csprng_fill(bytes)) std::memcpy(&seed, bytes.data(), sizeof seed);
  }
  random_source r(seed);
  r.csprng_fill_ = true;
  return r;
}

} // namespace tern
