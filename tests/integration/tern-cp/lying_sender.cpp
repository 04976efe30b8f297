// A tern-cp sender that lies, to test the receiver against it:
//   lying_sender HOST PORT FINGERPRINT MODE [COUNT]
// MODE: short    (announces 100000 bytes, sends 50000, then FIN)
//       long     (announces 1000 bytes, sends 5000)
//       hash     (the right size, another file's SHA-256)
//       offset   (a resume request, then a start offset the receiver never offered)
//       reserved (an honest file named ".tern-partial-f", the receiver's namespace)
//       escape   (a wrong hash for a file whose name holds a terminal escape
//                 sequence and invalid UTF-8)
//       placed   (honest: 20000 bytes of 'p', as a file whose OK is then
//                 lost: the caller sends the same file again)
//       anonymous (presents no certificate: the server refuses it in the
//                 handshake; exits 1 after saying so)
//       headers  (COUNT streams, each a header announcing 1000 bytes of
//                 "silent/p<pid>-f<i>" and then silence; "headers sent" on stderr
//                 once all are written)
// Announces the file "f" ("new/folders/f" for short, "new/f..." for
// escape), prints the receiver's result line (one per stream) on stdout and exits 0 once it has them all
// (whatever they say), 1 otherwise. It presents the tern-cp client identity
// (config_dir()/client_identity.pem, created if missing), so a server that
// lists it lets it in: an authorized client must not be able to lie either.
#include "config_dir.hpp"
#include "identity.hpp"
#include "protocol.hpp"

#include <tern/tern.hpp>

#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/read_until.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <cstdio>
#include <iostream>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

using namespace tern_cp;
constexpr auto tuple = asio::experimental::as_tuple(asio::use_awaitable);

struct lie {
  file_header header;
  std::string content;
  bool bogus_offset = false;
  std::size_t streams = 1;
  bool silent = false; ///< only the header, no content, no FIN
};

std::string hash_of(const std::string& s) {
  tern::crypto::sha256_hasher h;
  h.update(std::as_bytes(std::span{s}));
  return hex_digest(h);
}

bool make_lie(const std::string& mode, lie& l) {
  l.header.path = "f";
  if (mode == "short") {
    l.header.path = "new/folders/f"; // made for the file: they must go with it
    l.content.assign(50000, 's');
    l.header.size = 100000;
    l.header.sha256_hex = hash_of(std::string(100000, 's'));
  } else if (mode == "long") {
    l.content.assign(5000, 'l');
    l.header.size = 1000;
    l.header.sha256_hex = hash_of(l.content.substr(0, 1000));
  } else if (mode == "hash") {
    l.content.assign(20000, 'h');
    l.header.size = l.content.size();
    l.header.sha256_hex = hash_of("another file");
  } else if (mode == "offset") {
    l.content.assign(20000, 'o');
    l.header.size = l.content.size();
    l.header.sha256_hex = hash_of(l.content);
    l.header.resume = true;
    l.bogus_offset = true;
  } else if (mode == "reserved") {
    l.header.path = ".tern-partial-f";
    l.content.assign(20000, 'r');
    l.header.size = l.content.size();
    l.header.sha256_hex = hash_of(l.content);
  } else if (mode == "escape") {
    l.header.path = "new/f\x1b]0;owned\x07\x1b[2J\xff";
    l.content.assign(20000, 'e');
    l.header.size = l.content.size();
    l.header.sha256_hex = hash_of("another file");
  } else if (mode == "placed") {
    l.content.assign(20000, 'p');
    l.header.size = l.content.size();
    l.header.sha256_hex = hash_of(l.content);
  } else if (mode == "anonymous") {
    // No lie in the stream: it never gets one.
  } else if (mode == "headers") {
    l.header.size = 1000;
    l.header.sha256_hex = hash_of(std::string(1000, 'x'));
    l.silent = true;
  } else {
    return false;
  }
  return true;
}

// One stream of the lie: its result line, or "" if none came.
asio::awaitable<std::string> result_of(tern::byte_stream s) {
  std::string reply;
  for (;;) {
    auto [rec, n] = co_await asio::async_read_until(s, asio::dynamic_buffer(reply, 4096), '\n', tuple);
    if (rec) {
      std::cerr << "lying_sender: no result line: " << rec.message() << "\n";
      co_return std::string();
    }
    const std::string line = reply.substr(0, n - 1);
    reply.erase(0, n);
    if (line.starts_with("HAVE ")) continue; // the resume offer, ignored by this liar
    co_return line;
  }
}

asio::awaitable<bool> tell(tern::endpoint& ep, asio::ip::udp::endpoint server, std::string fingerprint,
                           lie l) {
  tern::connect_options co;
  co.pinned_fingerprints = {fingerprint};
  auto [ec, c] = co_await ep.async_connect(server, co, tuple);
  if (ec) {
    std::cerr << "lying_sender: cannot connect: " << ec.message() << "\n";
    co_return false;
  }
  if (l.silent) {
    // Every stream open at once, each holding what the receiver gives a file.
    std::vector<tern::byte_stream> streams;
    for (std::size_t i = 0; i < l.streams; ++i) {
      auto [oec, s] = co_await c.async_open_stream(tuple);
      if (oec) co_return false;
      // A folder made for them (it must go too); names unique per process,
      // so two liars of one key hold different files, not one busy one.
      l.header.path = "silent/p" + std::to_string(::getpid()) + "-f" + std::to_string(i);
      const std::string out = encode_header(l.header);
      if (auto [wec, n] = co_await asio::async_write(s, asio::buffer(out), tuple); wec) co_return false;
      streams.push_back(std::move(s));
    }
    std::cerr << "headers sent" << std::endl;
    bool all = true;
    for (auto& s : streams) {
      const std::string line = co_await result_of(std::move(s));
      all = all && !line.empty();
      std::cout << line << std::endl;
    }
    c.close(0, "done");
    co_return all;
  }
  auto [oec, s] = co_await c.async_open_stream(tuple);
  if (oec) co_return false;
  std::string out = encode_header(l.header);
  if (l.bogus_offset) out += encode_from(7); // answered before hearing HAVE
  out += l.content;
  // The receiver may stop the stream before all of it is written: that is
  // what refusing looks like; its result line still follows.
  co_await asio::async_write(s, asio::buffer(out), tuple);
  std::error_code ignored;
  s.shutdown_send(ignored);
  const std::string line = co_await result_of(std::move(s));
  if (line.empty()) co_return false;
  std::cout << line << std::endl;
  c.close(0, "done");
  co_return true;
}

} // namespace

int main(int argc, char** argv) try {
  lie l;
  if (argc < 5 || argc > 6 || !make_lie(argv[4], l)) {
    std::cerr << "usage: lying_sender HOST PORT FINGERPRINT "
                 "short|long|hash|offset|reserved|escape|placed|anonymous|headers [COUNT]\n";
    return 2;
  }
  if (argc == 6) l.streams = static_cast<std::size_t>(std::stoul(argv[5]));
  asio::io_context io;
  const asio::ip::udp::endpoint server(asio::ip::make_address(argv[1]),
                                       static_cast<unsigned short>(std::stoi(argv[2])));
  tern::config cfg;
  // Longer than the receiver's stream timeout in the tests, so the silent
  // streams of `headers` end by the receiver's hand, not the connection's.
  cfg.idle_timeout = std::chrono::seconds(30);
  if (std::string(argv[4]) == "anonymous") {
    cfg.generate_certificate = false; // nothing to present when asked
  } else {
    std::string error;
    const auto identity = load_or_create_identity(config_dir() + "/client_identity.pem", "lying sender", error);
    if (!identity) {
      std::cerr << "lying_sender: " << error << "\n";
      return 1;
    }
    cfg.certificate_chain_pem = identity->pem;
    cfg.private_key_pem = identity->pem;
  }
  tern::endpoint ep(io.get_executor(), {asio::ip::udp::v4(), 0}, cfg);
  bool answered = false;
  asio::co_spawn(io, tell(ep, server, argv[3], l), [&](std::exception_ptr e, bool ok) {
    answered = !e && ok;
    ep.close();
  });
  io.run();
  return answered ? 0 : 1;
} catch (const std::exception& e) {
  std::cerr << "lying_sender: " << e.what() << "\n";
  return 1;
}
