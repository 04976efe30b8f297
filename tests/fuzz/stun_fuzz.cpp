// libFuzzer target for tern's STUN code: the codec (both with and without
// RFC 3489 acceptance), integrity verification, attribute iteration, the
// Binding responder and a client transaction fed the input as a response.
// Any crash, sanitizer report or broken invariant below is a bug.
#include "stun/binding_responder.hpp"
#include "stun/binding_transaction.hpp"
#include "stun/demux.hpp"
#include "stun/integrity.hpp"
#include "stun/message.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

using namespace tern::stun;

namespace {

void check(bool invariant) {
  if (!invariant) std::abort();
}

const std::array<std::byte, 22> key = [] {
  std::array<std::byte, 22> k{};
  std::memcpy(k.data(), "VOkJxbRl1RmTxUk/WvJxBt", k.size());
  return k;
}();

void exercise_message(std::span<const std::byte> data, const decode_options& options) {
  message m;
  if (decode(data, m, options)) return;
  check(m.bytes.size() == data.size());
  std::size_t walked = 0;
  for (const auto& a : m) {
    check(a.value.data() >= data.data() && a.value.data() + a.value.size() <= data.data() + data.size());
    ++walked;
  }
  check(walked <= (data.size() - header_size) / 4);
  (void)verify_message_integrity(m, key);
  (void)verify_message_integrity_sha256(m, key);
  for (std::size_t i = 0; i < m.unknown_attribute_count(); ++i) (void)m.unknown_attribute(i);
  if (m.xor_mapped_address) check(!m.xor_mapped_address->to_string().empty());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const std::span<const std::byte> data{reinterpret_cast<const std::byte*>(bytes), size};
  (void)is_stun(data);
  exercise_message(data, {});
  exercise_message(data, {.accept_rfc3489 = true});

  static const binding_responder plain{};
  static const binding_responder classic = [] {
    responder_options o;
    o.accept_rfc3489 = true;
    o.credentials = short_term_credentials{"evtj:h6vY", {key.begin(), key.end()}, false};
    return binding_responder{o};
  }();
  std::array<std::byte, 1500> out{};
  const auto source = transport_address::ipv4({192, 0, 2, 1}, 32853);
  for (const auto* responder : {&plain, &classic}) {
    const auto r = responder->handle(data, source, out);
    if (r.what == responder_result::action::reply) {
      // Whatever the responder sends must itself be a valid message.
      message reply;
      check(!decode(r.reply, reply, {.accept_rfc3489 = true}));
      check(reply.cls == message_class::success_response || reply.cls == message_class::error_response);
    }
  }

  // Feed the input to a transaction whose ID matches it, so the response
  // path runs past the ID check.
  transaction_id id{};
  if (size >= header_size) std::memcpy(id.data(), bytes + 8, id.size());
  binding_options options;
  options.credentials = short_term_credentials{"u", {key.begin(), key.end()}, (size & 1) != 0};
  for (bool with_credentials : {false, true}) {
    if (!with_credentials) options.credentials.reset();
    binding_transaction tx{id, options};
    (void)tx.poll_transmit(tern::time_point{});
    (void)tx.on_response(data, tern::time_point{});
    if (tx.current_state() == binding_transaction::state::succeeded) check(tx.mapped_address().has_value());
  }
  return 0;
}
