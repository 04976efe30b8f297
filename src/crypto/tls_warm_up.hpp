#pragma once

namespace tern::crypto {

/// Does OpenSSL's once-per-process TLS set-up now: reading its
/// configuration, loading the default provider, and fetching every cipher,
/// digest, group and signature algorithm the first SSL_CTX_new looks up
/// (later contexts find them cached). That is 2.5-4 ms of CPU on this
/// project's VM (docs/benchmarks.md, "Resumption: time to first byte");
/// done when an endpoint opens, it no longer delays a client's first packet
/// after connect(). Thread-safe, idempotent, and a failure here only means
/// the first context pays the cost itself.
void warm_up_tls() noexcept;

} // namespace tern::crypto
