#pragma once

#include <cstdint>

namespace tern::crypto {

/// Which side of the TLS handshake (and therefore of the key schedule's
/// client->server / server->client directions) an endpoint is.
enum class tls_role : std::uint8_t { client, server };

} // namespace tern::crypto
