#include "asio/udp_batch.hpp"

#include "asio/udp_native.hpp"
#include "util/assert.hpp"

namespace tern::io {

udp_recv_batch::udp_recv_batch(std::size_t slots, std::size_t slot_size)
    : slot_size_(slot_size), storage_(slots * slot_size), slots_(slots),
      native_(std::make_unique<recv_batch_native>()) {
  TERN_ASSERT(slots >= 1);
#if TERN_IO_LINUX
  native_->msgs.resize(slots);
  native_->iovs.resize(slots);
  native_->names.resize(slots);
  native_->controls.resize(slots);
  // The buffer addresses never change, so the iovecs are built once; the
  // message headers the kernel wrote (their lengths and flags) are reset before
  // the next receive.
  for (std::size_t i = 0; i < slots; ++i) {
    native_->iovs[i].iov_base = storage_.data() + i * slot_size;
    native_->iovs[i].iov_len = slot_size;
  }
  native_->dirty = slots;
#endif
}

udp_recv_batch::~udp_recv_batch() = default;
udp_recv_batch::udp_recv_batch(udp_recv_batch&&) noexcept = default;
udp_recv_batch& udp_recv_batch::operator=(udp_recv_batch&&) noexcept = default;

} // namespace tern::io
