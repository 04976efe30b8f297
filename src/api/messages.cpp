#include "api/front_end.hpp"

namespace tern::detail {

namespace {

message_drop_reason public_reason(stream::drop_reason r) noexcept {
  switch (r) {
  case stream::drop_reason::abandoned: return message_drop_reason::abandoned;
  case stream::drop_reason::expired: return message_drop_reason::expired;
  case stream::drop_reason::no_memory: return message_drop_reason::no_memory;
  case stream::drop_reason::overrun: return message_drop_reason::overrun;
  case stream::drop_reason::dependency: return message_drop_reason::dependency;
  }
  return message_drop_reason::abandoned;
}

} // namespace

received_message public_message(stream::message_event&& e) {
  received_message m;
  m.dropped = e.what == stream::message_event::kind::dropped;
  m.id = e.id;
  m.count = m.dropped ? e.count : 1;
  m.flow = e.flow;
  m.reason = m.dropped ? public_reason(e.reason) : message_drop_reason::none;
  if (m.dropped)
    for (std::size_t i = 0; i < stream::drop_reason_count; ++i)
      m.dropped_by_reason[static_cast<std::size_t>(public_reason(static_cast<stream::drop_reason>(i)))] +=
          e.per_reason[i];
  m.data = std::move(e.data);
  return m;
}

} // namespace tern::detail
