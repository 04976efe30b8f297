#pragma once

// Systematic Reed-Solomon erasure code over GF(2^8) (docs/fec.md, "Codec").
//
// A block has k source symbols and up to m repair symbols, all of the same
// length. Repair symbol r is row k + r of a Cauchy matrix: byte j of it is
// sum over sources s of c(r, s) * source_s[j] with c(r, s) = 1 / ((k + r) xor s)
// in GF(2^8). Every square submatrix of a Cauchy matrix is invertible, so any
// k of the k + m symbols rebuild the block (the code is MDS). The field
// arithmetic and the SIMD multiply-accumulate are Intel ISA-L's; this file
// only chooses the coefficients.
//
// Decoding rebuilds e lost sources from e repair symbols without inverting
// the whole k x k matrix: the known sources are folded into the repair
// symbols, leaving an e x e Cauchy system, so the cost is one pass over the
// k inputs per lost source plus an e^3 inversion (docs/benchmarks.md,
// "Erasure codec").

#include <cstddef>
#include <span>

namespace tern::fec {

/// GF(2^8) gives 255 distinct row labels besides the sources: k + m <= 255.
inline constexpr std::size_t max_code_symbols = 255;

/// A repair symbol at hand: its index r (0-based, so row k + r) and its bytes.
struct repair_symbol {
  std::size_t index = 0;
  const std::byte* data = nullptr;
};

/// Writes repair symbols first_index, first_index + 1, ... (one per entry of
/// `out`) of the block whose k = sources.size() sources are `length` bytes
/// each. Returns false, writing nothing, when k is 0, length is 0, or
/// k + first_index + out.size() exceeds max_code_symbols.
bool encode_repairs(std::span<const std::byte* const> sources, std::size_t first_index,
                    std::span<std::byte* const> out, std::size_t length);

/// Rebuilds the lost sources of a block of k = sources.size() sources of
/// `length` bytes: sources[i] == nullptr marks a lost one, whose bytes are
/// written to rebuilt[i] (rebuilt.size() == k; entries of known sources are
/// not touched). Uses the first e repairs, e being the number of lost
/// sources. Returns false, writing nothing, when fewer than e repairs are
/// given, two of those e share an index, an index is out of range, or the
/// sizes disagree. Nothing lost is success.
bool decode_sources(std::span<const std::byte* const> sources, std::span<const repair_symbol> repairs,
                    std::span<std::byte* const> rebuilt, std::size_t length);

} // namespace tern::fec
