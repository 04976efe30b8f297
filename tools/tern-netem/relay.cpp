// The relay's event loop.
//
// Every iteration: apply due schedule entries and the rebinding, send every
// packet whose due time has come (each direction's netem_link decides the
// due times, exactly as in the simulator), then sleep in ppoll() until the
// earliest of: the next due packet, the next schedule entry, the rebinding,
// the end of the run, or a socket becoming readable. ppoll takes a
// nanosecond timeout and the process asks for a 1 ns timer slack
// (PR_SET_TIMERSLACK), so wake-ups are not batched with other timers; what
// remains is the kernel's wake-up latency, measured per packet as
// "lateness" (send time minus due time). Readable sockets are drained
// completely, each datagram stamped with the clock when it is read. SIGINT
// and SIGTERM are only unblocked inside ppoll, so a signal always ends the
// wait instead of racing with it.

#include "relay.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>

namespace tern::netem {

namespace {

time_point clock_now() noexcept { return from_steady(std::chrono::steady_clock::now()); }

void set_buffers(int fd) {
  const int size = 4 * 1024 * 1024; // capped by net.core.[rw]mem_max
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
}

std::string fmt(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

} // namespace

void lateness_histogram::add(duration late) {
  const std::int64_t ns = std::max<std::int64_t>(0, late.count());
  const auto bucket = std::min<std::size_t>(static_cast<std::size_t>(ns / 1000), buckets);
  ++hist_[bucket];
  ++count_;
  sum_ns_ += static_cast<double>(ns);
  max_ns_ = std::max(max_ns_, ns);
}

double lateness_histogram::mean_us() const noexcept {
  return count_ == 0 ? 0 : sum_ns_ / static_cast<double>(count_) / 1e3;
}

double lateness_histogram::percentile_us(double p) const noexcept {
  if (count_ == 0) return 0;
  const auto rank = static_cast<std::uint64_t>(p / 100.0 * static_cast<double>(count_ - 1));
  std::uint64_t seen = 0;
  for (std::size_t b = 0; b <= buckets; ++b) {
    seen += hist_[b];
    if (seen > rank) return static_cast<double>(b + 1); // upper edge of the bucket
  }
  return max_us();
}

relay::relay(relay_config config)
    : config_(std::move(config)), up_(config_.up, config_.seed, &pool_),
      down_(config_.down, config_.seed + 0x9e3779b97f4a7c15ULL, &pool_), scratch_(32 * 65536) {}

relay::~relay() {
  if (listen_fd_ >= 0) ::close(listen_fd_);
  for (auto& c : clients_)
    if (c.fd >= 0) ::close(c.fd);
}

std::error_code relay::open() {
  listen_fd_ = ::socket(config_.listen.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return {errno, std::system_category()};
  set_buffers(listen_fd_);
  if (::bind(listen_fd_, config_.listen.addr(), config_.listen.length) != 0) return {errno, std::system_category()};
  bound_.length = sizeof bound_.storage;
  if (::getsockname(listen_fd_, bound_.addr(), &bound_.length) != 0) return {errno, std::system_category()};
  return {};
}

int relay::open_upstream() {
  const int fd = ::socket(config_.connect.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  set_buffers(fd);
  if (::connect(fd, config_.connect.addr(), config_.connect.length) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::optional<std::uint32_t> relay::client_for(const endpoint& from) {
  const auto key = endpoint_key(from);
  if (auto it = by_addr_.find(key); it != by_addr_.end()) return it->second;
  // Each client costs a socket; a cap keeps a flood of source ports from
  // exhausting file descriptors.
  if (clients_.size() >= max_clients) return std::nullopt;
  const int fd = open_upstream();
  if (fd < 0) {
    std::fprintf(stderr, "tern-netem: cannot open a socket towards %s for client %s: %s\n",
                 to_string(config_.connect).c_str(), to_string(from).c_str(), std::strerror(errno));
    return std::nullopt;
  }
  const auto index = static_cast<std::uint32_t>(clients_.size());
  clients_.push_back(client{from, fd});
  by_addr_.emplace(key, index);
  return index;
}

// Reads at most one batch per call, so a flood of arrivals cannot hold up
// packets that are due: the loop comes back to flush() between batches.
void relay::read_clients() {
  constexpr std::size_t batch = 32;
  mmsghdr msgs[batch];
  iovec iov[batch];
  endpoint from[batch];
  const std::size_t slice = scratch_.size() / batch;
  for (std::size_t i = 0; i < batch; ++i) {
    iov[i] = {scratch_.data() + i * slice, slice};
    msgs[i] = {};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = from[i].addr();
    msgs[i].msg_hdr.msg_namelen = sizeof from[i].storage;
  }
  const int n = ::recvmmsg(listen_fd_, msgs, batch, MSG_DONTWAIT, nullptr);
  if (n <= 0) return;
  const time_point now = clock_now();
  for (int i = 0; i < n; ++i) {
    from[i].length = msgs[i].msg_hdr.msg_namelen;
    ++up_stats_.received;
    const auto index = client_for(from[i]);
    if (!index) continue;
    sim::packet p;
    p.payload = pool_.copy_of(std::span<const std::byte>{scratch_.data() + i * slice, msgs[i].msg_len});
    p.id = next_id_++;
    p.from.host = *index;
    p.sent = now;
    up_.enqueue(std::move(p), now);
  }
}

void relay::read_server(std::uint32_t index) {
  for (int k = 0; k < 32; ++k) {
    const ssize_t n = ::recv(clients_[index].fd, scratch_.data(), scratch_.size(), MSG_DONTWAIT);
    if (n < 0) return;
    const time_point now = clock_now();
    ++down_stats_.received;
    sim::packet p;
    p.payload = pool_.copy_of(std::span<const std::byte>{scratch_.data(), static_cast<std::size_t>(n)});
    p.id = next_id_++;
    p.to.host = index;
    p.sent = now;
    down_.enqueue(std::move(p), now);
  }
}

// Sends every due packet. Packets due at the same moment go out in one
// sendmmsg() per socket; lateness is measured after the send returns.
void relay::flush(sim::netem_link& link, bool up) {
  constexpr std::size_t max_batch = 64;
  auto& st = up ? up_stats_ : down_stats_;
  sim::packet batch[max_batch];
  time_point due[max_batch];
  mmsghdr msgs[max_batch];
  iovec iov[max_batch];
  for (;;) {
    std::size_t count = 0;
    const time_point now = clock_now();
    sim::exit_info info;
    while (count < max_batch && link.dequeue(now, batch[count], &info)) due[count++] = info.due;
    if (count == 0) return;
    for (std::size_t i = 0; i < count; ++i) {
      iov[i] = {batch[i].payload.data(), batch[i].payload.size()};
      msgs[i] = {};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      if (!up) {
        auto& c = clients_[batch[i].to.host];
        msgs[i].msg_hdr.msg_name = c.addr.addr();
        msgs[i].msg_hdr.msg_namelen = c.addr.length;
      }
    }
    // Runs of packets leaving through the same socket.
    for (std::size_t i = 0; i < count;) {
      const int fd = up ? clients_[batch[i].from.host].fd : listen_fd_;
      std::size_t j = i + 1;
      while (j < count && (!up || batch[j].from.host == batch[i].from.host)) ++j;
      while (i < j) {
        const int sent = ::sendmmsg(fd, msgs + i, static_cast<unsigned>(j - i), MSG_DONTWAIT);
        if (sent <= 0) { // the first message failed: count it and go on
          ++st.send_errors;
          ++i;
        } else {
          st.sent += static_cast<std::uint64_t>(sent);
          i += static_cast<std::size_t>(sent);
        }
      }
    }
    const time_point after = clock_now();
    for (std::size_t i = 0; i < count; ++i) {
      st.lateness.add(after - due[i]);
      pool_.release(std::move(batch[i].payload));
    }
  }
}

void relay::rebind_all() {
  for (auto& c : clients_) {
    const int fd = open_upstream(); // the old socket still holds its port, so the new one differs
    if (fd < 0) continue;
    ::close(c.fd);
    c.fd = fd;
  }
  ++rebinds_;
}

} // namespace tern::netem

namespace tern::netem {

void relay::run(const std::atomic<bool>& stop) {
  // Timer slack would let the kernel defer our wake-ups by up to 50 us to
  // batch them with other timers.
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  sigset_t block, original;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  sigprocmask(SIG_BLOCK, &block, &original);
  sigset_t during_wait = original;
  sigdelset(&during_wait, SIGINT);
  sigdelset(&during_wait, SIGTERM);

  const time_point start = clock_now();
  // Schedule entries per direction, in time order.
  struct change {
    time_point at;
    bool up;
    sim::netem_spec spec;
  };
  std::vector<change> changes;
  for (const auto& e : config_.schedule.entries) {
    if (e.target.empty() || e.target == "up") changes.push_back({start + e.at, true, e.spec});
    if (e.target.empty() || e.target == "down") changes.push_back({start + e.at, false, e.spec});
  }
  std::stable_sort(changes.begin(), changes.end(), [](const change& a, const change& b) { return a.at < b.at; });
  std::size_t next_change = 0;
  time_point rebind_at = config_.rebind_after ? start + *config_.rebind_after : never;
  const time_point end = config_.run_for ? start + *config_.run_for : never;

  std::vector<pollfd> fds;
  while (!stop.load(std::memory_order_relaxed)) {
    time_point now = clock_now();
    if (now >= end) break;
    while (next_change < changes.size() && changes[next_change].at <= now) {
      auto& c = changes[next_change++];
      (c.up ? up_ : down_).set_spec(c.spec);
    }
    if (now >= rebind_at) {
      rebind_all();
      rebind_at = never;
    }
    flush(up_, true);
    flush(down_, false);

    time_point wake = std::min({up_.next_event(), down_.next_event(), rebind_at, end});
    if (next_change < changes.size()) wake = std::min(wake, changes[next_change].at);
    now = clock_now();
    const duration wait = std::clamp(wake - now, duration{0}, duration{std::chrono::milliseconds{100}});
    timespec ts{static_cast<time_t>(wait.count() / 1000000000), static_cast<long>(wait.count() % 1000000000)};

    fds.clear();
    fds.push_back({listen_fd_, POLLIN, 0});
    for (const auto& c : clients_) fds.push_back({c.fd, POLLIN, 0});
    const int rc = ::ppoll(fds.data(), fds.size(), &ts, &during_wait);
    if (rc < 0) continue; // EINTR: a signal; the loop re-checks `stop`
    if (rc == 0) continue;
    if (fds[0].revents != 0) read_clients();
    for (std::size_t i = 1; i < fds.size(); ++i)
      if (fds[i].revents != 0) read_server(static_cast<std::uint32_t>(i - 1));
  }
  elapsed_ = clock_now() - start;
  sigprocmask(SIG_SETMASK, &original, nullptr);
}

namespace {

void json_direction(std::string& out, const char* name, const sim::netem_link& link, const direction_stats& d) {
  const auto& l = link.stats();
  const auto& spec = link.spec();
  auto num = [&](const char* key, std::uint64_t v) { out += std::string{"\""} + key + "\":" + std::to_string(v) + ","; };
  auto dbl = [&](const char* key, double v) { out += std::string{"\""} + key + "\":" + fmt(v) + ","; };
  out += std::string{"\""} + name + "\":{";
  out += "\"spec\":\"" + sim::to_string(spec) + "\",";
  num("packets_in", d.received);
  num("packets_out", d.sent);
  num("bytes_in", l.bytes_in);
  num("bytes_out", l.bytes_out);
  num("dropped", l.dropped());
  num("lost", l.lost);
  num("dropped_limit", l.dropped_limit);
  num("duplicated", l.duplicated);
  num("reordered", l.reordered);
  num("out_of_order", l.out_of_order);
  num("corrupted", l.corrupted);
  num("ce_marked", l.ce_marked);
  num("send_errors", d.send_errors);
  num("queued_at_exit", link.size());
  dbl("mean_delay_ms", l.mean_delay_seconds() * 1e3);
  dbl("max_delay_ms", static_cast<double>(l.delay_max.count()) / 1e6);
  dbl("mean_queue_delay_ms", l.mean_queue_delay_seconds() * 1e3);
  dbl("max_queue_delay_ms", static_cast<double>(l.queue_delay_max.count()) / 1e6);
  dbl("lateness_mean_us", d.lateness.mean_us());
  dbl("lateness_p50_us", d.lateness.percentile_us(50));
  dbl("lateness_p99_us", d.lateness.percentile_us(99));
  dbl("lateness_max_us", d.lateness.max_us());
  out.back() = '}';
}

} // namespace

std::string relay::stats_json() const {
  std::string out = "{";
  json_direction(out, "up", up_, up_stats_);
  out += ",";
  json_direction(out, "down", down_, down_stats_);
  out += ",\"clients\":" + std::to_string(clients_.size());
  out += ",\"rebinds\":" + std::to_string(rebinds_);
  out += ",\"elapsed_s\":" + fmt(static_cast<double>(elapsed_.count()) / 1e9);
  out += "}";
  return out;
}

std::string relay::stats_text() const {
  std::string out;
  for (bool up : {true, false}) {
    const auto& l = up ? up_.stats() : down_.stats();
    const auto& d = up ? up_stats_ : down_stats_;
    out += up ? "up   " : "down ";
    out += "in " + std::to_string(d.received) + " out " + std::to_string(d.sent) + " dropped " +
           std::to_string(l.dropped()) + " (lost " + std::to_string(l.lost) + ", limit " +
           std::to_string(l.dropped_limit) + ") duplicated " + std::to_string(l.duplicated) + " reordered " +
           std::to_string(l.reordered) + " corrupted " + std::to_string(l.corrupted) + " mean delay " +
           fmt(l.mean_delay_seconds() * 1e3) + " ms, lateness mean " + fmt(d.lateness.mean_us()) + " us p99 " +
           fmt(d.lateness.percentile_us(99)) + " us\n";
  }
  out += "clients " + std::to_string(clients_.size()) + ", rebinds " + std::to_string(rebinds_) + "\n";
  return out;
}

} // namespace tern::netem
