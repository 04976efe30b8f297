#include "fec/block_decoder.hpp"

#include "fec/reed_solomon.hpp"

#include <algorithm>
#include <bit>

namespace tern::fec {

namespace bounds = wire::repair_bounds;

void block_decoder::on_source_received(std::uint64_t number, std::span<const std::byte> payload, time_point now) {
  if (payload.empty() || payload.size() + 2 > bounds::max_symbol_length) return;
  auto& h = held_[number % held_slots];
  h.number = number;
  h.at = now;
  h.payload.assign(payload.begin(), payload.end());
}

const block_decoder::held* block_decoder::find(std::uint64_t number, time_point now) const noexcept {
  const auto& h = held_[number % held_slots];
  return h.number == number && now - h.at <= max_hold ? &h : nullptr;
}

block_decoder::block* block_decoder::block_for(const wire::repair_frame& f, time_point now) {
  while (!blocks_.empty() && now - blocks_.front().started > max_hold) blocks_.pop_front();
  for (auto& b : blocks_)
    if (b.first == f.first_packet) {
      // One description per block: a symbol that disagrees with the first
      // one is not part of it.
      const bool same = b.mask == f.source_mask && b.repair_count == f.repair_count &&
                        b.symbol_length == f.symbol.size();
      return same && !b.done ? &b : nullptr;
    }
  if (blocks_.size() == max_blocks) blocks_.pop_front();
  auto& b = blocks_.emplace_back();
  b.first = f.first_packet;
  b.mask = f.source_mask;
  b.repair_count = f.repair_count;
  b.symbol_length = f.symbol.size();
  b.started = now;
  return &b;
}

void block_decoder::on_repair(const wire::repair_frame& f, time_point now) {
  ++stats_.repairs_received;
  block* b = block_for(f, now);
  if (b == nullptr || std::find(b->indices.begin(), b->indices.end(), f.repair_index) != b->indices.end()) {
    ++stats_.repairs_ignored;
    return;
  }
  b->indices.push_back(f.repair_index);
  b->symbols.emplace_back(f.symbol.begin(), f.symbol.end());
  try_decode(*b, now);
}

void block_decoder::try_decode(block& b, time_point now) {
  const std::size_t k = static_cast<std::size_t>(std::popcount(b.mask));
  std::vector<std::uint64_t> numbers;
  std::vector<const held*> sources;
  std::size_t missing = 0;
  for (std::uint64_t bit = 0; bit < bounds::max_span; ++bit) {
    if (((b.mask >> bit) & 1) == 0) continue;
    numbers.push_back(b.first + bit);
    const held* h = find(b.first + bit, now);
    // A held payload longer than the block's symbols cannot be the source
    // the sender coded: treat it as missing (the rebuilt one is not used
    // for a packet that arrived).
    if (h != nullptr && h->payload.size() + 2 > b.symbol_length) h = nullptr;
    sources.push_back(h);
    if (h == nullptr) ++missing;
  }
  if (missing == 0) {
    b.done = true; // nothing lost: later symbols of this block are ignored
    b.symbols.clear();
    return;
  }
  if (b.symbols.size() < missing) return;
  // Symbols: the held payloads behind their length prefix, zero-padded.
  std::vector<std::vector<std::byte>> padded(k);
  std::vector<const std::byte*> in(k, nullptr);
  std::vector<std::vector<std::byte>> rebuilt(k);
  std::vector<std::byte*> out(k, nullptr);
  for (std::size_t i = 0; i < k; ++i) {
    if (sources[i] != nullptr) {
      const auto& p = sources[i]->payload;
      padded[i].assign(b.symbol_length, std::byte{0});
      padded[i][0] = static_cast<std::byte>(p.size() >> 8);
      padded[i][1] = static_cast<std::byte>(p.size() & 0xff);
      std::copy(p.begin(), p.end(), padded[i].begin() + 2);
      in[i] = padded[i].data();
    } else {
      rebuilt[i].resize(b.symbol_length);
      out[i] = rebuilt[i].data();
    }
  }
  std::vector<repair_symbol> repairs;
  for (std::size_t r = 0; r < b.symbols.size(); ++r) repairs.push_back({b.indices[r], b.symbols[r].data()});
  b.done = true;
  const bool decoded = decode_sources(in, repairs, out, b.symbol_length);
  b.symbols.clear();
  b.indices.clear();
  if (!decoded) {
    ++stats_.repairs_ignored;
    return;
  }
  ++stats_.blocks_decoded;
  for (std::size_t i = 0; i < k; ++i) {
    if (sources[i] != nullptr) continue;
    const auto& s = rebuilt[i];
    const std::size_t length = (std::to_integer<std::size_t>(s[0]) << 8) | std::to_integer<std::size_t>(s[1]);
    // A length the symbol cannot hold, or zero, is a repair that lied.
    if (length == 0 || length + 2 > s.size()) {
      ++stats_.repairs_ignored;
      continue;
    }
    recovered_.push_back(recovered_packet{numbers[i], std::vector<std::byte>(s.begin() + 2, s.begin() + 2 + static_cast<std::ptrdiff_t>(length))});
    ++stats_.packets_recovered;
  }
}

std::optional<recovered_packet> block_decoder::pop_recovered() {
  if (recovered_.empty()) return std::nullopt;
  auto p = std::move(recovered_.front());
  recovered_.pop_front();
  return p;
}

} // namespace tern::fec
