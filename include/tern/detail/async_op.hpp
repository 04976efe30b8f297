#pragma once

// A pending asynchronous operation with its completion handler type-erased,
// so the (non-template) implementation in the library can park it until the
// connection has what it waits for.
//
// The op keeps the handler's associated executor busy (outstanding work)
// while pending, completes by posting the handler to that executor (never
// inline from the initiating call, so completion handlers cannot re-enter the
// endpoint), and honours the handler's associated cancellation slot: a
// cancellation runs the canceller the implementation installed when it parked
// the op, which completes it with asio::error::operation_aborted.

#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/cancellation_type.hpp>
#include <asio/execution/outstanding_work.hpp>
#include <asio/post.hpp>
#include <asio/prefer.hpp>

#include <functional>
#include <memory>
#include <tuple>
#include <utility>

namespace tern::detail {

template <class... Args>
class async_op {
public:
  virtual ~async_op() = default;
  /// Posts the handler with `args` to its executor. Call at most once, then
  /// destroy the op (see complete() below).
  virtual void invoke(Args... args) = 0;
  /// What a cancellation request does; installed by whoever parks the op.
  void set_canceller(std::function<void()> fn) { canceller_ = std::move(fn); }

protected:
  void request_cancel() {
    if (canceller_) {
      auto fn = std::move(canceller_);
      canceller_ = nullptr;
      fn(); // usually destroys *this: touch nothing afterwards
    }
  }
  std::function<void()> canceller_;
};

template <class... Args>
using async_op_ptr = std::unique_ptr<async_op<Args...>>;

/// Completes and destroys the op held by `op` (which becomes empty).
template <class... Args, class... Values>
void complete(async_op_ptr<Args...>& op, Values&&... values) {
  auto o = std::move(op);
  o->invoke(std::forward<Values>(values)...);
}

template <class Handler, class IoExecutor, class... Args>
class async_op_impl final : public async_op<Args...> {
  using handler_executor = asio::associated_executor_t<Handler, IoExecutor>;
  using work_executor =
      std::decay_t<decltype(asio::prefer(std::declval<handler_executor>(), asio::execution::outstanding_work.tracked))>;

  // Lives in the handler's cancellation slot; it points back to the op until
  // either the op completes (the slot is cleared) or a cancellation arrives
  // (it forgets the op first, so a later emit does nothing).
  struct cancel_proxy {
    async_op_impl* op;
    void operator()(asio::cancellation_type type) {
      if (!op || type == asio::cancellation_type::none) return;
      auto* o = std::exchange(op, nullptr);
      o->proxy_ = nullptr;
      o->request_cancel();
    }
  };

public:
  async_op_impl(Handler&& handler, const IoExecutor& io_ex)
      : handler_(std::move(handler)),
        work_(asio::prefer(asio::get_associated_executor(handler_, io_ex), asio::execution::outstanding_work.tracked)) {
    auto slot = asio::get_associated_cancellation_slot(handler_);
    if (slot.is_connected()) {
      slot_ = slot;
      proxy_ = &slot_.template emplace<cancel_proxy>(cancel_proxy{this});
    }
  }

  ~async_op_impl() override { detach(); }

  void invoke(Args... args) override {
    detach();
    auto ex = work_;
    asio::post(ex, [h = std::move(handler_), tup = std::make_tuple(std::move(args)...)]() mutable {
      std::apply([&h](auto&&... a) { std::move(h)(std::move(a)...); }, std::move(tup));
    });
  }

private:
  void detach() {
    if (proxy_) {
      proxy_->op = nullptr;
      proxy_ = nullptr;
      slot_.clear();
    }
  }

  Handler handler_;
  work_executor work_;
  asio::cancellation_slot slot_;
  cancel_proxy* proxy_ = nullptr;
};

/// Wraps `handler` into a heap-allocated op for the library to park.
template <class... Args, class Handler, class IoExecutor>
async_op_ptr<Args...> make_op(Handler&& handler, const IoExecutor& io_ex) {
  using h_t = std::decay_t<Handler>;
  return std::make_unique<async_op_impl<h_t, IoExecutor, Args...>>(h_t(std::forward<Handler>(handler)), io_ex);
}

} // namespace tern::detail
