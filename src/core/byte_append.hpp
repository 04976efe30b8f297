#pragma once

// Building the byte strings tern hashes or MACs (the Retry integrity tag's
// pseudo-packet, the address-validation cookie's input): a connection ID
// goes in with its one-byte length in front, as on the wire.

#include "wire/connection_id.hpp"

#include <cstddef>
#include <span>
#include <vector>

namespace tern::core {

inline void append_bytes(std::vector<std::byte>& to, std::span<const std::byte> bytes) {
  to.insert(to.end(), bytes.begin(), bytes.end());
}

inline void append_length_prefixed(std::vector<std::byte>& to, const wire::connection_id& cid) {
  to.push_back(static_cast<std::byte>(cid.size()));
  append_bytes(to, cid.bytes());
}

} // namespace tern::core
