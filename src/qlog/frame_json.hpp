#pragma once

// qlog QuicFrame objects (draft-ietf-quic-qlog-quic-events-03 §A) for the
// `frames` array of packet_sent / packet_received (docs/observability.md,
// "Frames"). tern's own MESSAGE_ABANDON has no qlog frame type: it is
// written as frame_type "unknown" with its raw_frame_type and a
// tern_frame_type name; message fragments are "datagram" frames with
// tern's message fields added.

#include "wire/frames.hpp"

#include <span>
#include <string>

namespace tern::qlog {

/// Appends `"frames":[...]` for `frames`.
void append_frames(std::string& out, std::span<const wire::frame> frames);

} // namespace tern::qlog
