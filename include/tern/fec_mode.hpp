#pragma once

#include <cstdint>

namespace tern {

/// Forward error correction of deadline messages (docs/fec.md): none,
/// repair that follows the loss the peer reports (none on a clean path), or
/// a fixed amount. The connection's default is config::fec; a message flow
/// may choose its own (message_flow_options::fec).
enum class fec_mode : std::uint8_t { off, adaptive, fixed };

} // namespace tern
