#pragma once

// Test-only access to core::endpoint (declared a friend in
// src/core/endpoint.hpp, defined only here).

#include "core/endpoint.hpp"

namespace tern::core {

struct endpoint_test_access {
  /// Routes datagrams and timers to `c`, a connection the endpoint did not
  /// make itself (connection_test_access::established), as connect() or an
  /// accepted Initial would have: its handle. A server connection is then
  /// waiting for the application (claim() takes it).
  static connection_handle adopt(endpoint& ep, connection& c, time_point now) {
    const connection_handle handle = ep.add(c, !c.is_client());
    ep.update(handle, now);
    return handle;
  }
};

} // namespace tern::core
