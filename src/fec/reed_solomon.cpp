#include "fec/reed_solomon.hpp"

#include <isa-l/erasure_code.h>

#include <array>
#include <vector>

namespace tern::fec {

namespace {

/// Cauchy coefficient of repair `r` over source `s` in a block of k sources.
unsigned char coefficient(std::size_t k, std::size_t r, std::size_t s) {
  return gf_inv(static_cast<unsigned char>((k + r) ^ s));
}

unsigned char* bytes(const std::byte* p) { return reinterpret_cast<unsigned char*>(const_cast<std::byte*>(p)); }

/// out = matrix (rows x inputs.size()) applied to the inputs, through ISA-L's
/// table-driven SIMD dot products.
void apply(const std::vector<unsigned char>& matrix, std::size_t rows, std::span<unsigned char* const> inputs,
           std::span<unsigned char* const> out, std::size_t length) {
  const int k = static_cast<int>(inputs.size());
  std::vector<unsigned char> tables(32 * inputs.size() * rows);
  ec_init_tables(k, static_cast<int>(rows), const_cast<unsigned char*>(matrix.data()), tables.data());
  ec_encode_data(static_cast<int>(length), k, static_cast<int>(rows), tables.data(),
                 const_cast<unsigned char**>(inputs.data()), const_cast<unsigned char**>(out.data()));
}

} // namespace

bool encode_repairs(std::span<const std::byte* const> sources, std::size_t first_index,
                    std::span<std::byte* const> out, std::size_t length) {
  const std::size_t k = sources.size();
  if (k == 0 || length == 0 || out.empty() || k + first_index + out.size() > max_code_symbols) return false;
  std::vector<unsigned char> matrix(out.size() * k);
  for (std::size_t r = 0; r < out.size(); ++r)
    for (std::size_t s = 0; s < k; ++s) matrix[r * k + s] = coefficient(k, first_index + r, s);
  std::vector<unsigned char*> in(k), to(out.size());
  for (std::size_t s = 0; s < k; ++s) in[s] = bytes(sources[s]);
  for (std::size_t r = 0; r < out.size(); ++r) to[r] = bytes(out[r]);
  apply(matrix, out.size(), in, to, length);
  return true;
}

bool decode_sources(std::span<const std::byte* const> sources, std::span<const repair_symbol> repairs,
                    std::span<std::byte* const> rebuilt, std::size_t length) {
  const std::size_t k = sources.size();
  if (k == 0 || length == 0 || rebuilt.size() != k || k > max_code_symbols) return false;
  std::vector<std::size_t> lost, known;
  for (std::size_t s = 0; s < k; ++s) (sources[s] == nullptr ? lost : known).push_back(s);
  const std::size_t e = lost.size();
  if (e == 0) return true;
  if (repairs.size() < e) return false;
  std::array<bool, max_code_symbols> seen{};
  for (std::size_t i = 0; i < e; ++i) {
    const std::size_t r = repairs[i].index;
    if (r >= max_code_symbols - k || seen[r] || repairs[i].data == nullptr) return false;
    seen[r] = true;
  }
  // The repairs restricted to the lost columns: an e x e Cauchy matrix.
  std::vector<unsigned char> square(e * e), inverse(e * e);
  for (std::size_t i = 0; i < e; ++i)
    for (std::size_t j = 0; j < e; ++j) square[i * e + j] = coefficient(k, repairs[i].index, lost[j]);
  if (gf_invert_matrix(square.data(), inverse.data(), static_cast<int>(e)) != 0) return false; // cannot happen (Cauchy)
  // lost = inverse * (repairs + known part), inputs ordered known sources then repairs:
  // row a is [sum_i inverse[a][i] * c(r_i, s) for each known s | inverse[a][i] for each repair i].
  std::vector<unsigned char> decode_matrix(e * k);
  for (std::size_t a = 0; a < e; ++a) {
    for (std::size_t j = 0; j < known.size(); ++j) {
      unsigned char sum = 0;
      for (std::size_t i = 0; i < e; ++i)
        sum ^= gf_mul(inverse[a * e + i], coefficient(k, repairs[i].index, known[j]));
      decode_matrix[a * k + j] = sum;
    }
    for (std::size_t i = 0; i < e; ++i) decode_matrix[a * k + known.size() + i] = inverse[a * e + i];
  }
  std::vector<unsigned char*> in(k), to(e);
  for (std::size_t j = 0; j < known.size(); ++j) in[j] = bytes(sources[known[j]]);
  for (std::size_t i = 0; i < e; ++i) in[known.size() + i] = bytes(repairs[i].data);
  for (std::size_t a = 0; a < e; ++a) to[a] = bytes(rebuilt[lost[a]]);
  apply(decode_matrix, e, in, to, length);
  return true;
}

} // namespace tern::fec
