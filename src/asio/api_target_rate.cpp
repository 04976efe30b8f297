// connection::async_wait_target_rate: an operation completes at once with
// a value the core reported that no waiter got yet, else parks until the
// core reports target_rate_changed (core::target_rate_report decides when)
// and completes with the new rate. Completions are posted like every other
// (detail/async_op.hpp).

#include "asio/api_impl.hpp"

#include <tern/error.hpp>

#include <asio/error.hpp>

#include <algorithm>

namespace tern::detail {

void connection_impl::wait_target_rate(id_op op) {
  if (!usable()) return complete(op, unusable_error(), std::uint64_t{0});
  if (const auto reported = core_->reported_target_rate(); reported != 0 && reported != target_rate_delivered_) {
    target_rate_delivered_ = reported;
    return complete(op, std::error_code{}, core_->stats().target_rate);
  }
  auto* raw = op.get();
  std::weak_ptr<connection_impl> weak = weak_from_this();
  op->set_canceller([weak, raw] {
    auto self = weak.lock();
    if (!self) return;
    auto& q = self->target_rate_ops_;
    auto it = std::find_if(q.begin(), q.end(), [raw](const id_op& o) { return o.get() == raw; });
    if (it == q.end()) return;
    auto o = std::move(*it);
    q.erase(it);
    complete(o, asio::error::operation_aborted, std::uint64_t{0});
  });
  target_rate_ops_.push_back(std::move(op));
}

void connection_impl::complete_target_rate_ops(std::error_code ec) {
  if (target_rate_ops_.empty()) return; // a later wait takes the value at once
  const std::uint64_t rate = ec ? 0 : core_->stats().target_rate;
  if (!ec) target_rate_delivered_ = core_->reported_target_rate();
  while (!target_rate_ops_.empty()) {
    auto op = std::move(target_rate_ops_.front());
    target_rate_ops_.pop_front();
    complete(op, ec, rate);
  }
}

void connection_wait_target_rate(const std::shared_ptr<connection_impl>& c, id_op op) {
  if (!c) return complete(op, make_error_code(errc::connection_closed), std::uint64_t{0});
  c->wait_target_rate(std::move(op));
}

} // namespace tern::detail
