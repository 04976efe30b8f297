#pragma once

// Per-stream choices when opening one (tern::connection::async_open_stream,
// tern::sans_io::connection::open_stream). A plain type shared by the Asio
// and the bring-your-own-I/O APIs.

namespace tern {

struct stream_options {
  /// Send-only from this side (the peer only reads).
  bool unidirectional = false;
  /// This stream's data may travel as early data (0-RTT), before the
  /// handshake completes, when the connection offered it
  /// (connect_options::early_data with a session ticket that allows it).
  /// Early data can be replayed by whoever captured the first flight
  /// (docs/crypto.md, "What is replayable"): allow it only on a stream whose
  /// data the server may safely process twice (a read, an idempotent
  /// request). Off: the data waits for the 1-RTT keys, one round trip, and
  /// is never replayable. Without early data on the connection this does
  /// nothing.
  bool allow_early = false;
};

} // namespace tern
