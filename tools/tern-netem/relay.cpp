// The UDP relay's sockets. Reads are batched with recvmmsg(), one batch per
// readable socket per loop iteration; due packets leaving through the same
// socket go out in one sendmmsg().

#include "relay.hpp"

#include "arrival_stamp.hpp"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace tern::netem {

namespace {

void set_buffers(int fd) {
  const int size = 4 * 1024 * 1024; // capped by net.core.[rw]mem_max
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
}

} // namespace

relay::relay(relay_config config) : config_(std::move(config)), scratch_(32 * 65536) {}

relay::~relay() {
  if (listen_fd_ >= 0) ::close(listen_fd_);
  for (auto& c : clients_)
    if (c.fd >= 0) ::close(c.fd);
}

std::error_code relay::open() {
  listen_fd_ = ::socket(config_.listen.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return {errno, std::system_category()};
  set_buffers(listen_fd_);
  enable_arrival_stamps(listen_fd_);
  if (::bind(listen_fd_, config_.listen.addr(), config_.listen.length) != 0) return {errno, std::system_category()};
  bound_.length = sizeof bound_.storage;
  if (::getsockname(listen_fd_, bound_.addr(), &bound_.length) != 0) return {errno, std::system_category()};
  if (config_.rebind_after) rebind_at_ = link_pump::now() + *config_.rebind_after;
  return {};
}

int relay::open_upstream() {
  const int fd = ::socket(config_.connect.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  enable_arrival_stamps(fd);
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

void relay::poll_fds(std::vector<pollfd>& fds) const {
  fds.push_back({listen_fd_, POLLIN, 0});
  for (const auto& c : clients_) fds.push_back({c.fd, POLLIN, 0});
}

void relay::on_readable(std::size_t index, link_pump& pump) {
  if (index == 0)
    read_clients(pump);
  else
    read_server(static_cast<std::uint32_t>(index - 1), pump);
}

void relay::read_clients(link_pump& pump) {
  constexpr std::size_t batch = 32;
  mmsghdr msgs[batch];
  iovec iov[batch];
  endpoint from[batch];
  alignas(cmsghdr) char control[batch][arrival_stamp_space];
  const std::size_t slice = scratch_.size() / batch;
  for (std::size_t i = 0; i < batch; ++i) {
    iov[i] = {scratch_.data() + i * slice, slice};
    msgs[i] = {};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = from[i].addr();
    msgs[i].msg_hdr.msg_namelen = sizeof from[i].storage;
    msgs[i].msg_hdr.msg_control = control[i];
    msgs[i].msg_hdr.msg_controllen = sizeof control[i];
  }
  const int n = ::recvmmsg(listen_fd_, msgs, batch, MSG_DONTWAIT, nullptr);
  if (n <= 0) return;
  const time_point now = link_pump::now();
  const std::int64_t wall_now = wall_clock_ns();
  for (int i = 0; i < n; ++i) {
    from[i].length = msgs[i].msg_hdr.msg_namelen;
    const auto index = client_for(from[i]);
    if (!index) {
      pump.refuse(true);
      continue;
    }
    pump.offer(true, std::span<const std::byte>{scratch_.data() + i * slice, msgs[i].msg_len}, *index,
               arrival_time(msgs[i].msg_hdr, now, wall_now));
  }
}

void relay::read_server(std::uint32_t index, link_pump& pump) {
  for (int k = 0; k < 32; ++k) {
    const auto r = read_stamped(clients_[index].fd, scratch_, MSG_DONTWAIT);
    if (r.size < 0) return;
    pump.offer(false, std::span<const std::byte>{scratch_.data(), static_cast<std::size_t>(r.size)}, index,
               r.arrived);
  }
}

void relay::send(bool up, std::span<sim::packet> batch, direction_stats& st) {
  constexpr std::size_t max_batch = 64;
  if (batch.size() > max_batch) {
    send(up, batch.first(max_batch), st);
    send(up, batch.subspan(max_batch), st);
    return;
  }
  mmsghdr msgs[max_batch];
  iovec iov[max_batch];
  const std::size_t count = batch.size();
  for (std::size_t i = 0; i < count; ++i) {
    iov[i] = {batch[i].payload.data(), batch[i].payload.size()};
    msgs[i] = {};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    if (!up) {
      auto& c = clients_[batch[i].route];
      msgs[i].msg_hdr.msg_name = c.addr.addr();
      msgs[i].msg_hdr.msg_namelen = c.addr.length;
    }
  }
  // Runs of packets leaving through the same socket.
  for (std::size_t i = 0; i < count;) {
    const int fd = up ? clients_[batch[i].route].fd : listen_fd_;
    std::size_t j = i + 1;
    while (j < count && (!up || batch[j].route == batch[i].route)) ++j;
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
}

void relay::on_deadline(time_point) {
  for (auto& c : clients_) {
    const int fd = open_upstream(); // the old socket still holds its port, so the new one differs
    if (fd < 0) continue;
    ::close(c.fd);
    c.fd = fd;
  }
  ++rebinds_;
  rebind_at_ = never;
}

void relay::add_stats_fields(nlohmann::ordered_json& stats) const {
  stats["clients"] = clients_.size();
  stats["rebinds"] = rebinds_;
}

std::string relay::stats_text_lines() const {
  return "clients " + std::to_string(clients_.size()) + ", rebinds " + std::to_string(rebinds_) + "\n";
}

} // namespace tern::netem
