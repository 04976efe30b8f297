// tern::sans_io: the public face of core::connection for applications that
// run their own I/O loop. It only translates: public addresses, errors,
// events and stats in and out of the core, which does all the work.

#include "asio/api_impl.hpp"
#include "asio/api_tls.hpp"
#include "core/connection.hpp"
#include "stream/stream_errc.hpp"
#include "wire/header.hpp"

#include <tern/core/connection.hpp>
#include <tern/error.hpp>

#include <random>

namespace tern::sans_io {

struct context::state {
  config cfg;
  core::connection_config core_cfg;
  crypto::tls_identity identity;
  std::shared_ptr<const crypto::tls_context> server_tls;
  std::shared_ptr<const crypto::tls_context> client_tls; // for default connect options
  random_source rng{0};
  std::optional<core::retry_validator> retry_validator; // require_address_validation
};

struct connection::impl {
  std::shared_ptr<context::state> ctx; // keeps the TLS contexts and the random source alive
  std::unique_ptr<core::connection> core;
  std::uint64_t path_changes = 0;
  bool new_token_offered = false; // server: the NEW_TOKEN token was queued
};

namespace {

std::uint64_t fresh_seed() {
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}

stream::direction direction_of(bool unidirectional) noexcept {
  return unidirectional ? stream::direction::uni : stream::direction::bidi;
}

} // namespace

// --- context -----------------------------------------------------------------

context::context(const config& cfg, std::error_code& ec, std::uint64_t seed) : state_(std::make_shared<state>()) {
  ec.clear();
  if (cfg.initial_datagram_size < 1200 || cfg.max_datagram_size < cfg.initial_datagram_size ||
      (cfg.require_address_validation && cfg.address_token_lifetime <= std::chrono::nanoseconds::zero()) ||
      cfg.new_token_lifetime < std::chrono::nanoseconds::zero()) {
    ec = make_error_code(errc::invalid_argument);
    return;
  }
  state_->cfg = cfg;
  state_->core_cfg = detail::core_config(cfg);
  if ((ec = detail::check_qlog_dir(cfg))) return;
  state_->rng = random_source::unpredictable(seed != 0 ? seed : fresh_seed());
  state_->identity = detail::load_identity(cfg, cfg.accept_connections, ec);
  if (ec) return;
  if (cfg.accept_connections) state_->server_tls = detail::make_server_tls(cfg, state_->identity, ec);
  detail::make_address_validator(cfg, state_->retry_validator);
}

context::~context() = default;
context::context(context&&) noexcept = default;
context& context::operator=(context&&) noexcept = default;

std::string context::fingerprint() const {
  return state_->identity.fingerprint();
}

std::unique_ptr<connection> context::connect(const asio::ip::udp::endpoint& server, const connect_options& options,
                                             time_point now, std::error_code& ec) {
  ec.clear();
  const bool defaults = detail::is_default(options);
  auto tls = defaults ? state_->client_tls : nullptr;
  if (!tls) {
    tls = detail::make_client_tls(state_->cfg, options, state_->identity, ec);
    if (ec) return nullptr;
    if (defaults) state_->client_tls = tls;
  }
  auto core = core::connection::connect(state_->core_cfg, tls, detail::to_core(server), state_->rng, now, ec,
                                        options.address_token);
  if (ec || !core) {
    ec = detail::public_error(ec);
    return nullptr;
  }
  return std::unique_ptr<connection>(new connection(std::make_unique<connection::impl>(
      connection::impl{state_, std::move(core), 0})));
}

bool context::is_initial(std::span<const std::byte> datagram) const noexcept {
  wire::decoded_header h;
  return datagram.size() >= 1200 && !wire::decode_header_layout(datagram, state_->core_cfg.connection_id_length, h) &&
         h.header.type == wire::packet_type::initial;
}

std::size_t context::retry(std::span<const std::byte> datagram, const asio::ip::udp::endpoint& from, time_point now,
                           std::span<std::byte> out) {
  wire::decoded_header h;
  if (!state_->retry_validator || !is_initial(datagram) ||
      wire::decode_header_layout(datagram, state_->core_cfg.connection_id_length, h) || h.header.dcid.size() < 8)
    return 0;
  wire::connection_id odcid;
  if (state_->retry_validator->admit(h.header, detail::to_core(from), now, odcid) !=
      core::initial_admission::send_retry)
    return 0;
  std::error_code ec;
  const std::size_t n = state_->retry_validator->write_retry(h.header, detail::to_core(from),
                                                             state_->core_cfg.connection_id_length, state_->rng, now,
                                                             out, ec);
  return ec || n > datagram.size() ? 0 : n;
}

std::unique_ptr<connection> context::accept(std::span<const std::byte> first_datagram,
                                            const asio::ip::udp::endpoint& from, time_point now,
                                            std::error_code& ec) {
  ec.clear();
  wire::decoded_header h;
  if (!state_->server_tls || first_datagram.size() < 1200 ||
      wire::decode_header_layout(first_datagram, state_->core_cfg.connection_id_length, h) ||
      h.header.type != wire::packet_type::initial) {
    ec = make_error_code(errc::invalid_argument);
    return nullptr;
  }
  const auto peer = detail::to_core(from);
  std::optional<wire::connection_id> original_dcid;
  bool validated = false;
  if (state_->retry_validator) {
    wire::connection_id odcid;
    switch (state_->retry_validator->admit(h.header, peer, now, odcid)) {
    case core::initial_admission::accept_after_retry: original_dcid = odcid; break;
    case core::initial_admission::accept_validated: validated = true; break;
    case core::initial_admission::send_retry:
    case core::initial_admission::drop: ec = make_error_code(errc::invalid_argument); return nullptr;
    }
  }
  auto core = core::connection::accept(state_->core_cfg, state_->server_tls, peer, h.header.dcid, h.header.scid,
                                       state_->rng, now, ec, original_dcid, validated);
  if (ec || !core) {
    ec = detail::public_error(ec);
    return nullptr;
  }
  core->on_datagram(first_datagram, peer, now);
  return std::unique_ptr<connection>(new connection(std::make_unique<connection::impl>(
      connection::impl{state_, std::move(core), 0})));
}

// --- connection: I/O and state ------------------------------------------------

connection::connection(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
connection::~connection() = default;

void connection::on_datagram(std::span<const std::byte> datagram, const asio::ip::udp::endpoint& from,
                             time_point now) {
  auto& core = *impl_->core;
  core.on_datagram(datagram, detail::to_core(from), now);
  // A server's handshake completes on a client datagram: time to give the
  // client a token for its next connection.
  if (!impl_->new_token_offered && !core.is_client() && core.is_established()) {
    impl_->new_token_offered = true;
    detail::send_new_token(impl_->ctx->retry_validator, core, now);
  }
}

std::optional<transmit> connection::poll_transmit(std::span<std::byte> out, time_point now) {
  auto t = impl_->core->poll_transmit(out, now);
  if (!t) return std::nullopt;
  return transmit{t->size, detail::to_asio(t->to)};
}

time_point connection::next_timeout() const noexcept { return impl_->core->next_timeout(); }
void connection::on_timeout(time_point now) { impl_->core->on_timeout(now); }

bool connection::owns(std::span<const std::byte> datagram) const noexcept {
  wire::decoded_header h;
  if (wire::decode_header_layout(datagram, impl_->ctx->core_cfg.connection_id_length, h)) return false;
  for (const auto& id : impl_->core->local_connection_ids())
    if (id.cid == h.header.dcid) return true;
  // A client's Initials carry the Destination Connection ID it chose.
  return h.header.dcid == impl_->core->original_dcid();
}

std::optional<event> connection::poll_event() {
  auto e = impl_->core->poll_event();
  if (!e) return std::nullopt;
  using in = core::connection_event::kind;
  using out = event::kind;
  event r;
  r.stream_id = e->stream_id;
  switch (e->what) {
  case in::handshake_complete: r.what = out::handshake_complete; break;
  case in::stream_opened: r.what = out::stream_opened; break;
  case in::stream_readable: r.what = out::stream_readable; break;
  case in::stream_writable: r.what = out::stream_writable; break;
  case in::datagram_received: r.what = out::datagram_received; break;
  case in::message_received: r.what = out::message_received; break;
  case in::path_changed:
    r.what = out::path_changed;
    ++impl_->path_changes;
    break;
  case in::closed: r.what = out::closed; break;
  }
  return r;
}

bool connection::is_established() const noexcept { return impl_->core->is_established(); }
bool connection::is_closed() const noexcept { return impl_->core->is_closed(); }

std::error_code connection::close_error() const noexcept {
  return detail::public_error(impl_->core->close_reason().error);
}
std::uint64_t connection::close_code() const noexcept { return impl_->core->close_reason().code; }
std::string connection::close_reason() const { return impl_->core->close_reason().reason; }

connection_stats connection::stats() const {
  auto s = detail::public_stats(impl_->core->stats());
  s.path_changes = impl_->path_changes;
  return s;
}

asio::ip::udp::endpoint connection::remote_endpoint() const noexcept {
  return detail::to_asio(impl_->core->peer_address());
}
std::string connection::alpn() const { return impl_->core->alpn(); }
std::vector<std::byte> connection::address_token() const { return impl_->core->received_token(); }

std::string connection::peer_fingerprint() const {
  const auto fp = impl_->core->peer_fingerprint();
  return fp ? crypto::format_fingerprint(*fp) : std::string{};
}

// --- streams -------------------------------------------------------------------

std::optional<std::uint64_t> connection::open_stream(bool unidirectional, std::error_code& ec) {
  auto id = impl_->core->open_stream(direction_of(unidirectional), ec);
  // The peer's stream limit is a wait, not a failure: try again later.
  if (ec == stream::stream_errc::streams_blocked) ec.clear();
  ec = detail::public_error(ec);
  return id;
}

std::optional<std::uint64_t> connection::accept_stream(bool unidirectional) {
  return impl_->core->accept_stream(direction_of(unidirectional));
}

std::size_t connection::write(std::uint64_t stream_id, std::span<const std::byte> data, std::error_code& ec) {
  const auto n = impl_->core->write(stream_id, data, ec);
  ec = detail::public_error(ec);
  return n;
}

std::error_code connection::finish(std::uint64_t stream_id) {
  return detail::public_error(impl_->core->finish(stream_id));
}

read_result connection::read(std::uint64_t stream_id, std::span<std::byte> out, std::error_code& ec) {
  const auto r = impl_->core->read(stream_id, out, ec);
  ec = detail::public_error(ec);
  return read_result{r.bytes, r.fin, r.reset_code};
}

std::error_code connection::reset_stream(std::uint64_t stream_id, std::uint64_t code) {
  return detail::public_error(impl_->core->reset_stream(stream_id, code));
}
std::error_code connection::stop_sending(std::uint64_t stream_id, std::uint64_t code) {
  return detail::public_error(impl_->core->stop_sending(stream_id, code));
}
std::error_code connection::set_urgency(std::uint64_t stream_id, std::uint8_t urgency) {
  return detail::public_error(impl_->core->set_urgency(stream_id, urgency));
}
std::size_t connection::writable(std::uint64_t stream_id) { return impl_->core->writable(stream_id); }

// --- datagrams and messages ---------------------------------------------------------

std::error_code connection::send_datagram(std::span<const std::byte> payload, time_point deadline) {
  return detail::public_error(impl_->core->send_datagram(payload, deadline));
}

std::optional<std::size_t> connection::receive_datagram(std::span<std::byte> out) {
  return impl_->core->receive_datagram(out);
}

std::optional<std::uint64_t> connection::send_message(std::span<const std::byte> message, time_point deadline,
                                                      time_point now, std::error_code& ec) {
  auto id = impl_->core->send_message(message, deadline, now, ec);
  ec = detail::public_error(ec);
  return id;
}

std::optional<received_message> connection::receive_message(time_point now) {
  auto e = impl_->core->receive_message(now);
  if (!e) return std::nullopt;
  received_message m;
  m.dropped = e->what == stream::message_event::kind::dropped;
  m.id = e->id;
  m.count = m.dropped ? e->count : 1;
  m.data = std::move(e->data);
  return m;
}

void connection::close(std::uint64_t code, std::string_view reason, time_point now) {
  impl_->core->close(code, reason, now);
}

} // namespace tern::sans_io
