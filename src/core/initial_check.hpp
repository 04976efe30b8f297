#pragma once

// Does a client's first Initial authenticate? Handshake keys come from the
// client's Destination Connection ID, so anyone can make a valid Initial:
// this proves nothing about the sender, but it refuses garbage that merely
// looks like an Initial (the right first byte, 1200 bytes) before any
// connection state, TLS session or buffer exists for it. Costs one key
// derivation and one AEAD open, on a copy: the datagram is left as it was
// for the connection to process.

#include "wire/connection_id.hpp"
#include "wire/header.hpp"

#include <tern/time.hpp>

#include <cstddef>
#include <span>
#include <vector>

namespace tern::core {

/// Whether the first packet of `datagram` (laid out as `h`, an Initial)
/// opens under the handshake keys of `key_dcid` (the client's original
/// DCID: h.header.dcid, or the one a Retry token names) with its reserved
/// bits clear. `scratch` is reused between calls.
bool initial_authenticates(std::span<const std::byte> datagram, const wire::decoded_header& h,
                           const wire::connection_id& key_dcid, time_point now, std::vector<std::byte>& scratch);

} // namespace tern::core
