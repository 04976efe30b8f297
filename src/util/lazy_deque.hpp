#pragma once

// A std::deque that allocates nothing until its first element. libstdc++'s
// std::deque allocates a map and a 512-byte node on construction; a
// connection has a score of queues that most connections never use (path
// responses, datagrams, messages, urgency levels...), so as plain deques they
// cost about 12 KiB per connection before any data flows (docs/security.md,
// memory per connection). Once created, the deque stays: release_if_empty()
// gives it back where its owner knows the queue is done with for a while.
//
// The subset of std::deque that tern uses; iterators are the deque's own,
// and begin() == end() == iterator{} while nothing is allocated.

#include <deque>
#include <memory>
#include <utility>

namespace tern::util {

template <class T>
class lazy_deque {
public:
  using container = std::deque<T>;
  using value_type = T;
  using size_type = typename container::size_type;
  using reference = T&;
  using const_reference = const T&;
  using iterator = typename container::iterator;
  using const_iterator = typename container::const_iterator;

  lazy_deque() = default;
  lazy_deque(lazy_deque&&) noexcept = default;
  lazy_deque& operator=(lazy_deque&&) noexcept = default;
  lazy_deque(const lazy_deque& other) : q_(other.q_ ? std::make_unique<container>(*other.q_) : nullptr) {}
  lazy_deque& operator=(const lazy_deque& other) {
    if (this != &other) q_ = other.q_ ? std::make_unique<container>(*other.q_) : nullptr;
    return *this;
  }

  bool empty() const noexcept { return !q_ || q_->empty(); }
  size_type size() const noexcept { return q_ ? q_->size() : 0; }

  T& front() { return q_->front(); }
  const T& front() const { return q_->front(); }
  T& back() { return q_->back(); }
  const T& back() const { return q_->back(); }
  T& operator[](size_type i) { return (*q_)[i]; }
  const T& operator[](size_type i) const { return (*q_)[i]; }

  void push_back(const T& v) { get().push_back(v); }
  void push_back(T&& v) { get().push_back(std::move(v)); }
  template <class... A>
  T& emplace_back(A&&... a) {
    return get().emplace_back(std::forward<A>(a)...);
  }
  void push_front(const T& v) { get().push_front(v); }
  void push_front(T&& v) { get().push_front(std::move(v)); }
  void pop_front() { q_->pop_front(); }
  void pop_back() { q_->pop_back(); }
  void clear() noexcept {
    if (q_) q_->clear();
  }
  iterator erase(const_iterator pos) { return q_->erase(pos); }
  iterator erase(const_iterator first, const_iterator last) {
    if (first == last) return q_ ? q_->begin() + (first - q_->cbegin()) : iterator{};
    return q_->erase(first, last);
  }
  // On an empty queue the only position is end(), which may be iterator{}.
  iterator insert(const_iterator pos, const T& v) {
    if (!q_) return get().insert(q_->cend(), v);
    return q_->insert(pos, v);
  }
  iterator insert(const_iterator pos, T&& v) {
    if (!q_) return get().insert(q_->cend(), std::move(v));
    return q_->insert(pos, std::move(v));
  }
  void resize(size_type n) {
    if (n == 0 && !q_) return;
    get().resize(n);
  }

  iterator begin() noexcept { return q_ ? q_->begin() : iterator{}; }
  iterator end() noexcept { return q_ ? q_->end() : iterator{}; }
  const_iterator begin() const noexcept { return q_ ? q_->cbegin() : const_iterator{}; }
  const_iterator end() const noexcept { return q_ ? q_->cend() : const_iterator{}; }
  const_iterator cbegin() const noexcept { return begin(); }
  const_iterator cend() const noexcept { return end(); }

  /// std::erase / std::erase_if for the deque; returns how many went.
  template <class U>
  friend size_type erase(lazy_deque& d, const U& value) {
    return d.q_ ? std::erase(*d.q_, value) : 0;
  }
  template <class Pred>
  friend size_type erase_if(lazy_deque& d, Pred pred) {
    return d.q_ ? std::erase_if(*d.q_, pred) : 0;
  }

  /// Frees the storage when no element is held; returns whether it did.
  bool release_if_empty() noexcept {
    if (!q_ || !q_->empty()) return false;
    q_.reset();
    return true;
  }

private:
  container& get() {
    if (!q_) q_ = std::make_unique<container>();
    return *q_;
  }

  std::unique_ptr<container> q_;
};

} // namespace tern::util
