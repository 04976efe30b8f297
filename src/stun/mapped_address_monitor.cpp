#include "stun/mapped_address_monitor.hpp"

namespace tern::stun {

mapped_address_monitor::change
mapped_address_monitor::on_discovery(const transport_address& mapped) noexcept {
  if (!current_) {
    current_ = mapped;
    return change::first;
  }
  if (*current_ == mapped) return change::unchanged;
  previous_ = current_;
  current_ = mapped;
  ++changes_;
  return change::changed;
}

void mapped_address_monitor::reset() noexcept {
  current_.reset();
  previous_.reset();
}

} // namespace tern::stun
