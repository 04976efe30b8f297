#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace tern {

namespace detail {
/// Fills `out` from OpenSSL's CSPRNG (src/util/random.cpp); false when
/// OpenSSL could not produce the bytes.
bool csprng_fill(std::span<std::byte> out) noexcept;
} // namespace detail

/// Every random decision in tern takes one of these by reference: the sans-IO
/// core never uses a global random generator. Two modes:
///
/// - seeded (`random_source(seed)`): a small, fast pseudo-random generator
///   (xoshiro256**, seeded by splitmix64), everything included - connection
///   IDs, stateless reset tokens, PATH_CHALLENGE data - so a test or a
///   simulation is reproduced exactly from its seed. Predictable: never for
///   a connection on a real network.
/// - unpredictable (`random_source::unpredictable()`): what drivers on a real
///   network construct. fill(), which makes every value a peer or an
///   observer sees (connection IDs, tokens, challenge data), draws from
///   OpenSSL's CSPRNG; next_u64() and the rest (protocol choices such as
///   BBR's probing phase) stay on the fast generator, seeded from the CSPRNG.
///
/// Neither mode makes a virtual call per draw: next_u64() is the same inline
/// generator in both, and fill() tests one flag.
class random_source {
public:
  explicit constexpr random_source(std::uint64_t seed) noexcept { reseed(seed); }

  /// The production source: fill() from OpenSSL's CSPRNG, the generator
  /// behind next_u64() seeded from it as well - or from `seed` when it is
  /// not zero, which repeats the protocol's random choices without making
  /// connection IDs predictable. Should OpenSSL ever fail to produce bytes,
  /// fill() falls back to the generator rather than failing the packet path.
  static random_source unpredictable(std::uint64_t seed = 0) noexcept;

  /// Whether fill() draws from the CSPRNG (made by unpredictable()).
  constexpr bool is_unpredictable() const noexcept { return csprng_fill_; }

  constexpr void reseed(std::uint64_t seed) noexcept {
    for (auto& word : state_) {
      seed += 0x9e3779b97f4a7c15ULL;
      std::uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      word = z ^ (z >> 31);
    }
  }

  /// 64 uniformly distributed bits.
  constexpr std::uint64_t next_u64() noexcept {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  /// 32 uniformly distributed bits (the high half, the better-mixed one).
  constexpr std::uint32_t next_u32() noexcept { return static_cast<std::uint32_t>(next_u64() >> 32); }

  /// Uniform in [0, bound); bound 0 yields 0. Lemire's multiply-shift with
  /// rejection, so there is no modulo bias.
  constexpr std::uint64_t uniform(std::uint64_t bound) noexcept {
    if (bound == 0) return 0;
    for (;;) {
      const uint128 m = static_cast<uint128>(next_u64()) * bound;
      const auto low = static_cast<std::uint64_t>(m);
      if (low >= bound || low >= (0 - bound) % bound) return static_cast<std::uint64_t>(m >> 64);
    }
  }

  /// Uniform in [0, 1), with 53 bits of precision.
  constexpr double uniform01() noexcept { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

  /// Fills `out` with random bytes: from the CSPRNG for an unpredictable()
  /// source, from the seeded generator otherwise.
  constexpr void fill(std::span<std::byte> out) noexcept {
    if (csprng_fill_ && detail::csprng_fill(out)) return;
    std::size_t i = 0;
    while (i < out.size()) {
      std::uint64_t word = next_u64();
      for (int b = 0; b < 8 && i < out.size(); ++b, ++i, word >>= 8)
        out[i] = static_cast<std::byte>(word & 0xff);
    }
  }

private:
  __extension__ using uint128 = unsigned __int128; // GCC and Clang; silences -Wpedantic
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
  std::uint64_t state_[4]{};
  bool csprng_fill_ = false;
};

} // namespace tern
