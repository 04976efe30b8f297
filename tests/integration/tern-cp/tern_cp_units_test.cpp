// Unit tests of tern-cp's protocol codec, safe_path, partial_file,
// placement records, open_file_budget, peer_text, known_hosts, server_trust, identities,
// authorized_keys (parsing, reloading), the refusal log and progress.
#include "authorized_keys.hpp"
#include "config_dir.hpp"
#include "crypto/crypto_error.hpp"
#include "identity.hpp"
#include "known_hosts.hpp"
#include "open_file_budget.hpp"
#include "partial_file.hpp"
#include "peer_text.hpp"
#include "placement_record.hpp"
#include "progress.hpp"
#include "protocol.hpp"
#include "refusal_log.hpp"
#include "safe_path.hpp"
#include "server_trust.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <sstream>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace tern_cp;
namespace fs = std::filesystem;

namespace {
const std::string hash_of_abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

fs::path temp_dir() {
  char templ[] = "/tmp/tern-cp-test.XXXXXX";
  REQUIRE(::mkdtemp(templ) != nullptr);
  return templ;
}
} // namespace

TEST_CASE("header round trip, spaces in the path survive") {
  file_header h{"dir/a file.txt", 123456789012ull, 0755, hash_of_abc};
  const std::string line = encode_header(h);
  REQUIRE(line.back() == '\n');
  const auto d = decode_header(std::string_view(line).substr(0, line.size() - 1));
  REQUIRE(d);
  CHECK(d->path == h.path);
  CHECK(d->size == h.size);
  CHECK(d->mode == 0755);
  CHECK(d->sha256_hex == hash_of_abc);
}

TEST_CASE("malformed headers are refused") {
  CHECK_FALSE(decode_header(""));
  CHECK_FALSE(decode_header("TERNCP2 1 644 " + hash_of_abc + " a"));
  CHECK_FALSE(decode_header("TERNCP1 -1 644 " + hash_of_abc + " a"));
  CHECK_FALSE(decode_header("TERNCP1 1x 644 " + hash_of_abc + " a"));
  CHECK_FALSE(decode_header("TERNCP1 1 999 " + hash_of_abc + " a"));
  CHECK_FALSE(decode_header("TERNCP1 1 644 ABC a"));
  CHECK_FALSE(decode_header("TERNCP1 1 644 " + hash_of_abc + " "));
  CHECK_FALSE(decode_header("TERNCP1 99999999999999999999999 644 " + hash_of_abc + " a"));
}

TEST_CASE("resume lines: header flag, HAVE and FROM round trip, malformed ones are refused") {
  file_header h{"a", 10, 0644, hash_of_abc, true};
  const std::string line = encode_header(h);
  CHECK(line.starts_with("TERNCP1R "));
  const auto d = decode_header(std::string_view(line).substr(0, line.size() - 1));
  REQUIRE(d);
  CHECK(d->resume);
  std::string hex;
  const std::string have = encode_have(123, hash_of_abc);
  CHECK(decode_have(std::string_view(have).substr(0, have.size() - 1), hex) ==
        std::optional<std::uint64_t>(123));
  CHECK(hex == hash_of_abc);
  CHECK_FALSE(decode_have("HAVE 12", hex));
  CHECK_FALSE(decode_have("HAVE x " + hash_of_abc, hex));
  CHECK_FALSE(decode_have("OK", hex));
  CHECK(decode_from("FROM 42") == std::optional<std::uint64_t>(42));
  CHECK(encode_from(42) == "FROM 42\n");
  CHECK_FALSE(decode_from("FROM -1"));
  CHECK_FALSE(decode_from("FROM "));
  CHECK_FALSE(decode_from("ERR x"));
}

TEST_CASE("result lines") {
  std::string why;
  CHECK(decode_result("OK", why));
  CHECK_FALSE(decode_result("ERR SHA-256 mismatch", why));
  CHECK(why == "SHA-256 mismatch");
  CHECK_FALSE(decode_result("garbage", why));
  CHECK(encode_result(false, "a\nb") == "ERR a b\n");
}

TEST_CASE("safe_path refuses traversal and absolute paths") {
  std::vector<std::string> parts;
  std::string why;
  CHECK(split_relative_path("a/b/c.txt", parts, why));
  CHECK(parts == std::vector<std::string>{"a", "b", "c.txt"});
  for (const char* bad : {"", "/etc/passwd", "../x", "a/../../x", "a//b", "a/./b", "a/", ".."})
    CHECK_MESSAGE(!split_relative_path(bad, parts, why), bad);
}

TEST_CASE("safe_path does not follow a symlink out of the destination") {
  const fs::path root = temp_dir(), outside = temp_dir();
  fs::create_directory_symlink(outside, root / "escape");
  const int root_fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY);
  REQUIRE(root_fd >= 0);
  std::error_code ec;
  CHECK(open_parent_dir(root_fd, {"escape", "file"}, ec) == -1);
  CHECK(ec);
  ec.clear();
  const int ok = open_parent_dir(root_fd, {"new", "deeper", "file"}, ec);
  CHECK(ok >= 0);
  CHECK(fs::is_directory(root / "new" / "deeper"));
  if (ok >= 0) ::close(ok);
  ::close(root_fd);
  CHECK(fs::is_empty(outside));
  fs::remove_all(root);
  fs::remove_all(outside);
}

TEST_CASE("known_hosts records and looks up") {
  const fs::path dir = temp_dir();
  const std::string file = (dir / "sub" / "known_hosts").string();
  CHECK_FALSE(lookup_known_host(file, "h:1"));
  CHECK(record_known_host(file, "h:1", "AA:BB"));
  CHECK(record_known_host(file, "h:2", "CC:DD"));
  CHECK(lookup_known_host(file, "h:1") == std::optional<std::string>("AA:BB"));
  CHECK(lookup_known_host(file, "h:2") == std::optional<std::string>("CC:DD"));
  CHECK_FALSE(lookup_known_host(file, "h:3"));
  fs::remove_all(dir);
}

TEST_CASE("identity: created once with mode 0600, then loaded with the same fingerprint") {
  const fs::path dir = temp_dir();
  const std::string file = (dir / "tern" / "server_identity.pem").string();
  std::string error;
  const auto first = load_or_create_identity(file, "tern-cp server", error);
  REQUIRE_MESSAGE(first, error);
  CHECK(first->created);
  CHECK(first->fingerprint.size() == 95);
  struct stat st{};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
  REQUIRE(::stat((dir / "tern").c_str(), &st) == 0);
  CHECK((st.st_mode & 077) == 0);
  const auto again = load_or_create_identity(file, "tern-cp server", error);
  REQUIRE_MESSAGE(again, error);
  CHECK_FALSE(again->created);
  CHECK(again->fingerprint == first->fingerprint);
  CHECK(fs::directory_iterator(dir / "tern")->path().filename() == "server_identity.pem"); // no temporary left
  fs::remove_all(dir);
}

TEST_CASE("identity: a file others may read, a symbolic link or a corrupt file is refused, naming it") {
  const fs::path dir = temp_dir();
  const std::string file = (dir / "id.pem").string();
  std::string error;
  REQUIRE(load_or_create_identity(file, "c", error));
  ::chmod(file.c_str(), 0644);
  CHECK_FALSE(load_or_create_identity(file, "c", error));
  CHECK(error.find(file) != std::string::npos);
  CHECK(error.find("0644") != std::string::npos);
  ::chmod(file.c_str(), 0600);
  CHECK(load_or_create_identity(file, "c", error));

  const std::string link = (dir / "link.pem").string();
  fs::create_symlink(file, link);
  CHECK_FALSE(load_or_create_identity(link, "c", error));
  CHECK(error.find("symbolic link") != std::string::npos);

  const std::string corrupt = (dir / "corrupt.pem").string();
  {
    std::ofstream out(corrupt);
    out << "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n";
  }
  ::chmod(corrupt.c_str(), 0600);
  CHECK_FALSE(load_or_create_identity(corrupt, "c", error));
  CHECK(error.find(corrupt) != std::string::npos);
  CHECK(error.find("not a usable identity") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("identity: first starts racing end up with one identity") {
  const fs::path dir = temp_dir();
  const std::string file = (dir / "id.pem").string();
  std::array<std::string, 4> fingerprints, errors;
  std::vector<std::thread> racers;
  for (std::size_t i = 0; i < fingerprints.size(); ++i)
    racers.emplace_back([&, i] {
      if (auto id = load_or_create_identity(file, "c", errors[i])) fingerprints[i] = id->fingerprint;
    });
  for (auto& t : racers) t.join();
  for (std::size_t i = 0; i < fingerprints.size(); ++i) {
    CHECK_MESSAGE(!fingerprints[i].empty(), errors[i]);
    CHECK(fingerprints[i] == fingerprints[0]);
  }
  CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator{}) == 1); // no temporary left
  fs::remove_all(dir);
}

TEST_CASE("identity: a file owned by another user is refused") {
  if (::geteuid() != 0) return; // only root can give a file away
  const fs::path dir = temp_dir();
  const std::string file = (dir / "id.pem").string();
  std::string error;
  REQUIRE(load_or_create_identity(file, "c", error));
  REQUIRE(::chown(file.c_str(), 65534, 65534) == 0);
  CHECK_FALSE(load_or_create_identity(file, "c", error));
  CHECK(error.find("owned by uid 65534") != std::string::npos);
  CHECK(error.find(file) != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("config_dir: XDG_CONFIG_HOME when absolute, else HOME/.config") {
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  const std::string saved = xdg ? xdg : "";
  ::setenv("XDG_CONFIG_HOME", "/x/cfg", 1);
  CHECK(config_dir() == "/x/cfg/tern");
  ::setenv("XDG_CONFIG_HOME", "relative", 1);
  CHECK(config_dir().ends_with("/.config/tern"));
  if (xdg)
    ::setenv("XDG_CONFIG_HOME", saved.c_str(), 1);
  else
    ::unsetenv("XDG_CONFIG_HOME");
}

TEST_CASE("authorized_keys: comments, blank lines and names after the key, bad lines named by number") {
  const fs::path dir = temp_dir();
  const std::string file = (dir / "authorized_keys").string();
  std::string fp_a, fp_b; // as tern prints them
  for (int i = 0; i < 32; ++i) {
    fp_a += (i ? ":" : "") + std::string("AB");
    fp_b += (i ? ":" : "") + std::string("CC");
  }
  const std::string fp_b_plain(64, 'c'); // 64 digits without colons, lower case
  auto write = [&](const std::string& text) {
    std::ofstream out(file, std::ios::trunc);
    out << text;
  };
  write("# laptops\n\n  " + fp_a + "  alice@laptop\n\tsha-256 " + fp_b_plain + "\n");
  std::string error;
  auto keys = load_authorized_keys(file, error);
  REQUIRE_MESSAGE(keys, error);
  CHECK(*keys == std::vector<std::string>{fp_a, fp_b});

  write("# one good, then a typo\n" + fp_a + "\n" + fp_a.substr(0, 90) + " bob\n");
  CHECK_FALSE(load_authorized_keys(file, error));
  CHECK(error.find(file + ":3:") != std::string::npos);

  write("# nobody yet\n\n");
  CHECK_FALSE(load_authorized_keys(file, error));
  CHECK(error.find("lists no key") != std::string::npos);

  write(fp_a + "\n");
  ::chmod(file.c_str(), 0666);
  CHECK_FALSE(load_authorized_keys(file, error));
  CHECK(error.find("writable by group or others") != std::string::npos);

  CHECK_FALSE(load_authorized_keys((dir / "missing").string(), error));
  CHECK(error.find("no authorized-keys file") != std::string::npos);
  fs::remove_all(dir);
}

namespace {
std::size_t lines_of(const std::string& text) { return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')); }
} // namespace

TEST_CASE("authorized_keys_file: a changed file is re-read at the next check, a bad version keeps the "
          "previous list, said once") {
  const fs::path dir = temp_dir();
  const std::string file = (dir / "authorized_keys").string();
  std::string fp_a, fp_b;
  for (int i = 0; i < 32; ++i) {
    fp_a += (i ? ":" : "") + std::string("AB");
    fp_b += (i ? ":" : "") + std::string("CC");
  }
  auto write = [&](const std::string& text) {
    // A new inode each time, as editors save (the check also sees a
    // rewrite in place: size, mtime, ctime).
    const std::string tmp = file + ".new";
    std::ofstream(tmp, std::ios::trunc) << text;
    fs::rename(tmp, file);
  };
  write(fp_a + " alice\n");
  std::string error;
  auto keys = authorized_keys_file::open(file, error);
  REQUIRE_MESSAGE(keys, error);
  std::ostringstream log;
  CHECK(keys->allows(fp_a, log));
  CHECK_FALSE(keys->allows(fp_b, log));
  CHECK(log.str().empty()); // unchanged: nothing re-read

  write(fp_a + " alice\n" + fp_b + " bob\n"); // bob added
  CHECK(keys->allows(fp_b, log));
  CHECK(log.str().find("re-read " + file + ": 2 authorized key(s)") != std::string::npos);

  write(fp_b + " bob\n"); // alice revoked
  CHECK_FALSE(keys->allows(fp_a, log));
  CHECK(keys->allows(fp_b, log));

  log.str("");
  write(fp_b + " bob\nnot-a-key carol\n"); // a typo: bob stays, the error is said once
  CHECK(keys->allows(fp_b, log));
  CHECK(keys->allows(fp_b, log));
  CHECK(log.str().find(file + ":2: not a fingerprint") != std::string::npos);
  CHECK(log.str().find("keeping the 1 key(s) loaded before") != std::string::npos);
  CHECK(lines_of(log.str()) == 1);

  log.str("");
  fs::remove(file); // gone: kept, said once
  CHECK(keys->allows(fp_b, log));
  CHECK(keys->allows(fp_b, log));
  CHECK(log.str().find("is gone") != std::string::npos);
  CHECK(lines_of(log.str()) == 1);

  write(fp_a + "\n"); // fixed
  CHECK(keys->allows(fp_a, log));
  CHECK_FALSE(keys->allows(fp_b, log));
  CHECK(keys->size() == 1);
  fs::remove_all(dir);
}

TEST_CASE("refusal_log: one line per refusal up to the limit per window, then one summary per window") {
  using namespace std::chrono_literals;
  refusal_log log({3, 1s});
  const refusal_log::clock::time_point t0{};
  tern::refused_client r;
  r.peer = tern::address::ipv4({127, 0, 0, 1}, 4433);
  r.fingerprint = "AB:CD\x1b[2J"; // escaped on the way to the log
  r.reason = tern::crypto::crypto_errc::fingerprint_mismatch;
  std::size_t lines = 0;
  for (int i = 0; i < 100; ++i) {
    const auto out = log.refused(r, t0 + i * 1ms); // 100 in 100 ms: one window
    lines += out.size();
    for (const auto& l : out) CHECK(l.find('\x1b') == std::string::npos);
  }
  CHECK(lines == 3);
  CHECK(log.summary_due() == t0 + 1s);
  CHECK_FALSE(log.flush(t0 + 999ms)); // not yet over
  const auto summary = log.flush(t0 + 1s);
  REQUIRE(summary);
  CHECK(summary->find("97 more client(s) refused in the last 1 s") != std::string::npos);
  CHECK_FALSE(log.flush(t0 + 2s)); // said once
  CHECK_FALSE(log.summary_due());

  // A sustained flood: per window at most 3 lines + 1 summary, and every
  // refusal is either a line or counted in a summary.
  std::size_t singles = 0, summaries = 0, summed = 0;
  auto count = [&](const std::string& l) {
    const auto at = l.find(" more client(s)"); // "tern-cp: N more ..."
    if (at == std::string::npos) return void(++singles);
    ++summaries;
    summed += std::stoul(l.substr(9, at - 9));
  };
  for (int i = 0; i < 10000; ++i)
    for (const auto& l : log.refused(r, t0 + 10s + i * 1ms)) count(l);
  if (auto last = log.flush(t0 + 30s)) count(*last);
  CHECK(singles <= 10 * 3); // 10 s of flood
  CHECK(summaries <= 10);
  CHECK(singles + summed == 10000);
  CHECK(log.total() == 10100);

  const std::string line = describe_refusal(r);
  CHECK(line == "tern-cp: refused client 127.0.0.1:4433: key AB:CD\\x1b[2J is not in authorized_keys");
  r.fingerprint.clear();
  r.reason = tern::crypto::crypto_errc::peer_certificate_required;
  CHECK(describe_refusal(r) == "tern-cp: refused client 127.0.0.1:4433: it presented no key");
}

TEST_CASE("server_trust: first use records and prints the key, a changed key is then refused loudly") {
  const fs::path dir = temp_dir();
  const std::string file = (dir / "known_hosts").string();
  std::string refusal;
  auto plan = plan_trust("", false, lookup_known_host(file, "h:1"), refusal);
  REQUIRE(plan);
  CHECK(plan->mode == trust_mode::first_use);
  std::ostringstream notes;
  CHECK(check_server_key(*plan, "h:1", "AA:BB", file, notes).empty());
  CHECK(notes.str().find("AA:BB") != std::string::npos);
  CHECK(lookup_known_host(file, "h:1") == std::optional<std::string>("AA:BB"));

  plan = plan_trust("", false, lookup_known_host(file, "h:1"), refusal);
  REQUIRE(plan);
  CHECK(plan->mode == trust_mode::recorded);
  CHECK(check_server_key(*plan, "h:1", "AA:BB", file, notes).empty());
  const std::string why = check_server_key(*plan, "h:1", "CC:DD", file, notes);
  CHECK(why.find("CHANGED") != std::string::npos);
  CHECK(why.find("CC:DD") != std::string::npos);
  CHECK(lookup_known_host(file, "h:1") == std::optional<std::string>("AA:BB")); // the record is not replaced
  fs::remove_all(dir);
}

TEST_CASE("server_trust: --fingerprint against a different record, and with --insecure, is refused") {
  std::string refusal;
  CHECK_FALSE(plan_trust("CC:DD", false, std::string("AA:BB"), refusal));
  CHECK(refusal.find("AA:BB") != std::string::npos);
  CHECK_FALSE(plan_trust("CC:DD", true, std::nullopt, refusal));
  const auto pinned = plan_trust("AA:BB", false, std::string("AA:BB"), refusal);
  REQUIRE(pinned);
  CHECK(pinned->mode == trust_mode::pinned);
}

TEST_CASE("server_trust: --insecure accepts any key, warns and records nothing") {
  const fs::path dir = temp_dir();
  const std::string file = (dir / "known_hosts").string();
  std::string refusal;
  const auto plan = plan_trust("", true, std::string("AA:BB"), refusal);
  REQUIRE(plan);
  CHECK(plan->mode == trust_mode::insecure);
  std::ostringstream notes;
  CHECK(check_server_key(*plan, "h:1", "CC:DD", file, notes).empty());
  CHECK(notes.str().find("WARNING") != std::string::npos);
  CHECK_FALSE(fs::exists(file));
  fs::remove_all(dir);
}

TEST_CASE("progress: bytes, percentage, bar, rate, ETA, RTT and loss") {
  progress_sample p{52'400'000, 200'000'000, 11'800'000, 31.2, 1.04};
  const std::string line = format_progress(p, 120);
  CHECK(line.find("52.4 / 200.0 MB") != std::string::npos);
  CHECK(line.find(" 26%") != std::string::npos);
  CHECK(line.find("[#######") != std::string::npos);
  CHECK(line.find("11.8 MB/s") != std::string::npos);
  CHECK(line.find("ETA 0:13") != std::string::npos); // 147.6 MB at 11.8 MB/s
  CHECK(line.find("RTT 31 ms") != std::string::npos);
  CHECK(line.find("loss 1.0%") != std::string::npos);
}

TEST_CASE("progress: narrow terminals lose the bar, never exceed the width, unknown rate has no ETA") {
  progress_sample p{0, 5'000'000'000ull, 0, 0, 0};
  const std::string narrow = format_progress(p, 60);
  CHECK(narrow.size() <= 60);
  CHECK(narrow.find('[') == std::string::npos);
  CHECK(format_progress(p, 120).find("ETA --:--") != std::string::npos);
  CHECK(format_progress(p, 120).find("0.0 / 5.0 GB") != std::string::npos);
  p.done = p.total;
  p.bytes_per_second = 1e6;
  CHECK(format_progress(p, 120).find("100%") != std::string::npos);
  CHECK(format_progress(p, 120).find("ETA 0:00") != std::string::npos);
  CHECK(format_progress(progress_sample{}, 120).find("100%") != std::string::npos); // nothing to send
  p.done = 0;
  p.bytes_per_second = 1000;
  CHECK(format_progress(p, 120).find("ETA --:--") != std::string::npos); // beyond 99 h: shown as unknown
}

TEST_CASE("rate_meter smooths: a stall lowers the rate gradually, not to zero at once") {
  rate_meter m;
  CHECK(m.update(1'000'000, 1.0) == doctest::Approx(1e6));
  CHECK(m.update(2'000'000, 2.0) == doctest::Approx(1e6));
  const double after_stall = m.update(2'000'000, 3.0);
  CHECK(after_stall == doctest::Approx(0.7e6));
  CHECK(m.update(2'000'000, 3.0) == doctest::Approx(after_stall)); // no time passed: unchanged
}

TEST_CASE("safe_path refuses the receiver's own namespace: any component starting with .tern-") {
  std::vector<std::string> parts;
  std::string why;
  for (const char* bad :
       {".tern-partial-victim", ".tern-partial", "a/.tern-partial/x", "a/.tern-x/b", ".tern-"}) {
    CHECK_MESSAGE(!split_relative_path(bad, parts, why), bad);
    CHECK(why.find("reserved") != std::string::npos);
  }
  CHECK(split_relative_path(".ternfile/x.tern-partial-", parts, why)); // only the prefix is reserved
}

TEST_CASE("safe_path: remove_created_dirs removes what open_parent_dir made, if empty, and nothing else") {
  const fs::path root = temp_dir();
  fs::create_directory(root / "old");
  const int root_fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY);
  REQUIRE(root_fd >= 0);
  std::error_code ec;
  const std::vector<std::string> parts{"old", "new", "deeper", "f"};
  std::size_t created_from = 99;
  const int fd = open_parent_dir(root_fd, parts, ec, &created_from);
  REQUIRE(fd >= 0);
  ::close(fd);
  CHECK(created_from == 1);
  remove_created_dirs(root_fd, parts, created_from);
  CHECK(fs::is_directory(root / "old"));
  CHECK(fs::is_empty(root / "old"));
  // A folder that is no longer empty (another file landed there) stays.
  const int again = open_parent_dir(root_fd, parts, ec, &created_from);
  REQUIRE(again >= 0);
  ::close(again);
  std::ofstream(root / "old" / "new" / "other") << "x";
  remove_created_dirs(root_fd, parts, created_from);
  CHECK(fs::exists(root / "old" / "new" / "other"));
  CHECK_FALSE(fs::exists(root / "old" / "new" / "deeper"));
  // Nothing created: nothing removed.
  const int none = open_parent_dir(root_fd, {"old", "f"}, ec, &created_from);
  REQUIRE(none >= 0);
  ::close(none);
  CHECK(created_from == 1);
  ::close(root_fd);
  fs::remove_all(root);
}

namespace {

struct destination {
  fs::path root = temp_dir();
  int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY);
  ~destination() {
    ::close(fd);
    fs::remove_all(root);
  }
  std::size_t entries() const {
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(root), fs::directory_iterator()));
  }
};

std::string read_all(const fs::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::uint32_t mode_of(const fs::path& p) {
  struct stat sb {};
  REQUIRE(::stat(p.c_str(), &sb) == 0);
  return sb.st_mode & 07777;
}

} // namespace

TEST_CASE("partial_file: the name is a hash of owner and path, never peer text") {
  const std::string n = partial_name("", "dir/\x1b[31mevil");
  CHECK(n.size() == 64);
  CHECK(n.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(partial_name("", "a") != partial_name("x", "a"));
  CHECK(partial_name("ab", "c") != partial_name("a", "bc")); // length-prefixed owner
  CHECK(partial_name("", "a") == partial_name("", "a"));
}

TEST_CASE("partial_file: a kept partial belongs to its owner, another owner's probe neither sees nor "
          "truncates it") {
  destination d;
  std::string why;
  {
    auto a = partial_file::open(d.fd, "alice", "f", false, why);
    REQUIRE(a);
    REQUIRE(a->append("hello", 5, why));
    CHECK(a->keep());
  }
  {
    // Bob's resume probe with size 0: the path is the same, the partial is not.
    auto b = partial_file::open(d.fd, "bob", "f", false, why);
    REQUIRE(b);
    tern::crypto::sha256_hasher h;
    std::uint64_t kept = 99;
    REQUIRE(b->measure(0, h, kept, why));
    CHECK(kept == 0);
    CHECK(hex_digest(h) == hex_digest(tern::crypto::sha256_hasher{}));
    CHECK_FALSE(b->keep()); // empty: discarded, leaves nothing
  }
  {
    auto again = partial_file::open(d.fd, "alice", "f", false, why); // a later connection of alice's
    REQUIRE(again);
    tern::crypto::sha256_hasher h;
    std::uint64_t kept = 0;
    REQUIRE(again->measure(100, h, kept, why));
    CHECK(kept == 5);
    again->discard();
  }
  CHECK(d.entries() == 0); // the partial folder goes with its last partial
}

TEST_CASE("partial_file: two transfers of one owner and path cannot share the partial (busy)") {
  destination d;
  std::string why;
  auto first = partial_file::open(d.fd, "", "f", true, why);
  REQUIRE(first);
  CHECK_FALSE(partial_file::open(d.fd, "", "f", true, why));
  CHECK(why.starts_with("busy:"));
  CHECK(partial_file::open(d.fd, "other", "f", true, why)); // another owner is not blocked
  first->discard();
}

TEST_CASE("partial_file: a partial that is a symlink or not a regular file is refused, and nothing is followed") {
  destination d;
  std::string why;
  const fs::path dir = d.root / partial_dir_name;
  fs::create_directory(dir);
  const fs::path outside = d.root.parent_path() / (d.root.filename().string() + "-outside");
  { std::ofstream(outside) << "keep me"; }

  // A symlink planted under the partial's name: open(O_NOFOLLOW) fails, the
  // file it points at is neither truncated nor written.
  fs::create_symlink(outside, dir / partial_name("", "linked"));
  CHECK_FALSE(partial_file::open(d.fd, "", "linked", true, why));
  CHECK_FALSE(why.empty());
  CHECK(read_all(outside) == "keep me");

  // A FIFO under the partial's name: opened without blocking, refused as
  // not a regular file, and left as it was.
  const fs::path fifo = dir / partial_name("", "fifo");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  why.clear();
  CHECK_FALSE(partial_file::open(d.fd, "", "fifo", true, why));
  CHECK(why == "the partial is not a regular file");
  CHECK(fs::is_fifo(fs::symlink_status(fifo)));

  // The partial folder itself replaced by a symlink: not followed either.
  fs::remove_all(dir);
  fs::create_directory_symlink(d.root.parent_path(), dir);
  why.clear();
  CHECK_FALSE(partial_file::open(d.fd, "", "f", true, why));
  CHECK(why.starts_with("cannot open the partial folder"));
  fs::remove(dir);
  fs::remove(outside);
}

TEST_CASE("partial_file: a kept partial larger than the announced size is emptied, not hashed or sent back") {
  destination d;
  std::string why;
  {
    auto f = partial_file::open(d.fd, "alice", "f", true, why);
    REQUIRE(f);
    REQUIRE(f->append("0123456789", 10, why));
    CHECK(f->keep());
  }
  auto again = partial_file::open(d.fd, "alice", "f", false, why);
  REQUIRE(again);
  tern::crypto::sha256_hasher h;
  std::uint64_t kept = 99;
  REQUIRE(again->measure(4, h, kept, why)); // the file announced now has 4 bytes
  CHECK(kept == 0);
  struct stat sb {};
  REQUIRE(again->stat(sb));
  CHECK(sb.st_size == 0);
  // Appends start over from the beginning.
  REQUIRE(again->append("abcd", 4, why));
  REQUIRE(again->stat(sb));
  CHECK(sb.st_size == 4);
  again->discard();
}

TEST_CASE("partial_file: commit masks the mode, refuses an existing target unless overwrite, leaves the "
          "partial on refusal") {
  destination d;
  std::string why;
  {
    auto p = partial_file::open(d.fd, "", "x", true, why);
    REQUIRE(p);
    REQUIRE(p->append("new", 3, why));
    REQUIRE(p->commit(d.fd, "x", masked_mode(07777, 022), false, why));
  }
  CHECK(read_all(d.root / "x") == "new");
  CHECK(mode_of(d.root / "x") == 0755); // no setuid, setgid, sticky; umask applied
  CHECK(d.entries() == 1);              // no partial folder left
  {
    auto p = partial_file::open(d.fd, "", "x", true, why);
    REQUIRE(p);
    REQUIRE(p->append("newer", 5, why));
    CHECK_FALSE(p->commit(d.fd, "x", 0644, false, why));
    CHECK(why.starts_with("exists:"));
    CHECK(read_all(d.root / "x") == "new"); // untouched
    REQUIRE(p->commit(d.fd, "x", 0640, true, why));
  }
  CHECK(read_all(d.root / "x") == "newer");
  CHECK(mode_of(d.root / "x") == 0640);
}

TEST_CASE("partial_file: the file put in place is the file written and hashed, not whatever has its name") {
  destination d;
  std::string why;
  auto p = partial_file::open(d.fd, "", "victim", true, why);
  REQUIRE(p);
  REQUIRE(p->append("verified", 8, why));
  // Someone swaps the partial's name for another file after the check.
  const fs::path named = d.root / partial_dir_name / partial_name("", "victim");
  std::ofstream(d.root / "forged") << "forged";
  fs::rename(d.root / "forged", named);
  CHECK_FALSE(p->commit(d.fd, "victim", 0644, false, why));
  CHECK(why.find("replaced") != std::string::npos);
  CHECK_FALSE(fs::exists(d.root / "victim"));
}

namespace {

// A file placed in `d` as `name`, and its record as the receiver makes it.
placed_file place(destination& d, const std::string& name, const std::string& content, std::int64_t now) {
  std::ofstream(d.root / name) << content;
  struct stat sb {};
  REQUIRE(::lstat((d.root / name).c_str(), &sb) == 0);
  tern::crypto::sha256_hasher h;
  h.update(std::as_bytes(std::span{content}));
  return describe_placement(sb, hex_digest(h), now);
}

file_header announce(const placed_file& p) {
  file_header h;
  h.path = "f";
  h.size = p.size;
  h.sha256_hex = p.sha256_hex;
  return h;
}

struct stat lstat_of(const fs::path& p) {
  struct stat sb {};
  REQUIRE(::lstat(p.c_str(), &sb) == 0);
  return sb;
}

} // namespace

TEST_CASE("placement: already complete only for the file placed, unchanged, with the content announced") {
  destination d;
  const std::int64_t t = 1'000'000;
  const placed_file rec = place(d, "f", "content", t);
  const file_header same = announce(rec);
  const struct stat target = lstat_of(d.root / "f");
  CHECK(already_placed(rec, same, target, t + 10, 3600));

  CHECK_FALSE(already_placed(std::nullopt, same, target, t, 3600)); // no record: another client's, or none
  file_header other = same;
  other.sha256_hex = std::string(64, 'a');
  CHECK_FALSE(already_placed(rec, other, target, t, 3600)); // different content announced
  other = same;
  other.size += 1;
  CHECK_FALSE(already_placed(rec, other, target, t, 3600));
  CHECK_FALSE(already_placed(rec, same, target, t + 3601, 3600)); // too old
  CHECK_FALSE(already_placed(rec, same, target, t - 1, 3600));    // from the future: a clock gone back

  // Changed since it was placed: another inode under the name, or the same
  // inode written or chmodded (its ctime moves).
  struct stat replaced = target;
  replaced.st_ino += 1;
  CHECK_FALSE(already_placed(rec, same, replaced, t, 3600));
  struct stat touched = target;
  touched.st_ctim.tv_nsec = (touched.st_ctim.tv_nsec + 1) % 1000000000;
  CHECK_FALSE(already_placed(rec, same, touched, t, 3600));
  struct stat dir = target;
  dir.st_mode = S_IFDIR | 0755;
  CHECK_FALSE(already_placed(rec, same, dir, t, 3600));
}

TEST_CASE("placement: records round trip, malformed text is refused") {
  placed_file p;
  p.size = 123;
  p.sha256_hex = hash_of_abc;
  p.device = 2049;
  p.inode = 77;
  p.ctime_ns = 1700000000123456789;
  p.placed_at = 1700000000;
  const auto back = decode_placement(encode_placement(p));
  REQUIRE(back);
  CHECK(back->size == 123);
  CHECK(back->sha256_hex == hash_of_abc);
  CHECK(back->device == 2049);
  CHECK(back->inode == 77);
  CHECK(back->ctime_ns == p.ctime_ns);
  CHECK(back->placed_at == p.placed_at);
  const std::string good = encode_placement(p);
  CHECK_FALSE(decode_placement(good.substr(0, good.size() - 1)));   // no newline
  CHECK_FALSE(decode_placement("tern-cp placed 1 12 abc 1 2 3 4\n")); // short hash
  CHECK_FALSE(decode_placement(good.substr(0, good.size() - 1) + " 5\n"));
  CHECK_FALSE(decode_placement(""));
}

TEST_CASE("placement_log: one record per owner and path, found only by its owner, in DIR/.tern-placed") {
  destination d;
  placement_log log(d.fd, {});
  const std::int64_t t = 1'000'000;
  const placed_file rec = place(d, "f", "content", t);
  std::string why;
  REQUIRE(log.record("alice", "f", rec, t, why));
  CHECK(mode_of(d.root / placed_dir_name) == 0700);
  const auto found = log.find("alice", "f");
  REQUIRE(found);
  CHECK(found->sha256_hex == rec.sha256_hex);
  CHECK_FALSE(log.find("bob", "f")); // another client placed nothing
  CHECK_FALSE(log.find("alice", "g"));
  // The record's name is the partial's hash: no peer text in a file name.
  CHECK(fs::exists(d.root / placed_dir_name / partial_name("alice", "f")));
}

TEST_CASE("placement_log: bounded in count (oldest go first) and in age, the folder goes with the last") {
  destination d;
  placement_log log(d.fd, {8, 100});
  const placed_file rec = place(d, "f", "content", 0);
  std::string why;
  // Far more records than the bound: at most max_records + max_records/4.
  for (int i = 0; i < 100; ++i) {
    placed_file r = rec;
    r.placed_at = 1000 + i;
    REQUIRE(log.record("alice", "f" + std::to_string(i), r, 1000 + i, why));
    const auto held = static_cast<std::size_t>(
        std::distance(fs::directory_iterator(d.root / placed_dir_name), fs::directory_iterator()));
    CHECK(held <= 8 + 8 / 4);
  }
  CHECK(log.prune(1099) == 8);
  CHECK(log.find("alice", "f99"));
  CHECK(log.find("alice", "f92"));
  CHECK_FALSE(log.find("alice", "f91")); // the oldest went first
  // A malformed record is removed on the next prune.
  std::ofstream(d.root / placed_dir_name / "junk") << "not a record";
  CHECK(log.prune(1099) == 8);
  CHECK_FALSE(fs::exists(d.root / placed_dir_name / "junk"));
  // All older than max_age: none left, nor the folder.
  CHECK(log.prune(1099 + 101) == 0);
  CHECK_FALSE(fs::exists(d.root / placed_dir_name));
}

TEST_CASE("masked_mode: setuid, setgid, sticky and what the umask removes never reach the file") {
  CHECK(masked_mode(04755, 022) == 0755);
  CHECK(masked_mode(07777, 022) == 0755);
  CHECK(masked_mode(0777, 077) == 0700);
  CHECK(masked_mode(0644, 0) == 0644);
  CHECK(masked_mode(02640, 027) == 0640);
}

TEST_CASE("open_file_budget: limits derive from RLIMIT_NOFILE with headroom") {
  const auto small = limits_for(64);
  CHECK(small.total == (64 - 32 - 8) / fds_per_file);
  CHECK(small.per_client == small.total / 4);
  CHECK(small.total * fds_per_file + 32 <= 64);
  const auto tiny = limits_for(10);
  CHECK(tiny.total == 1);
  CHECK(tiny.per_client == 1);
  const auto big = limits_for(1 << 20);
  CHECK(big.per_client == max_files_per_client);
  CHECK(big.total * fds_per_file < (1u << 20));
  const auto def = limits_for(1024);
  // The measured attack: 600 streams across six connections must not fit.
  CHECK(def.total * fds_per_file + 32 + 1024 / 8 <= 1024);
  CHECK(def.per_client * 6 < 600);
}

TEST_CASE("open_file_budget: per-client and total limits are reached and places come back") {
  open_file_budget b(open_file_limits{64, 3, 2});
  auto c1 = std::make_shared<open_file_budget::client_share>();
  auto c2 = std::make_shared<open_file_budget::client_share>();
  std::string why;
  auto a = b.try_acquire(c1, why);
  auto a2 = b.try_acquire(c1, why);
  REQUIRE(a);
  REQUIRE(a2);
  CHECK_FALSE(b.try_acquire(c1, why));
  CHECK(why.find("per-client") != std::string::npos);
  auto bb = b.try_acquire(c2, why);
  REQUIRE(bb);
  CHECK_FALSE(b.try_acquire(c2, why));
  CHECK(why.find("total") != std::string::npos);
  CHECK(b.open() == 3);
  { auto moved = std::move(a); }
  CHECK(b.open() == 2);
  CHECK(c1->open == 1);
  CHECK(b.try_acquire(c2, why));
}

TEST_CASE("peer_text: controls, escape sequences and invalid UTF-8 are shown escaped, valid text is kept") {
  CHECK(escape_peer_text("plain/path name.txt") == "plain/path name.txt");
  CHECK(escape_peer_text("caf\xc3\xa9 \xe6\x97\xa5\xf0\x9f\x98\x80") ==
        "caf\xc3\xa9 \xe6\x97\xa5\xf0\x9f\x98\x80");
  CHECK(escape_peer_text("\x1b[31mred\x1b]0;title\x07") == "\\x1b[31mred\\x1b]0;title\\x07");
  CHECK(escape_peer_text(std::string("a\0b\r\n\t\x7f", 7)) == "a\\x00b\\x0d\\x0a\\x09\\x7f");
  CHECK(escape_peer_text("back\\slash") == "back\\\\slash");
  CHECK(escape_peer_text("\xff\xfe") == "\\xff\\xfe");
  CHECK(escape_peer_text("\xc0\xaf") == "\\xc0\\xaf");          // overlong '/'
  CHECK(escape_peer_text("\xed\xa0\x80") == "\\xed\\xa0\\x80"); // a surrogate
  CHECK(escape_peer_text("\xe6\x97") == "\\xe6\\x97");          // truncated
  CHECK(escape_peer_text("\xc2\x9b"
                         "31m") == "\\u{009B}31m"); // C1 CSI
  CHECK(escape_peer_text("abc\xe2\x80\xae"
                         "gpj.exe") == "abc\\u{202E}gpj.exe"); // right-to-left override
}

TEST_CASE("peer_text: every byte value comes out printable ASCII when it forms no valid UTF-8") {
  // Consecutive byte values never form a multi-byte sequence (a lead byte
  // is followed by another lead byte), so each high byte is escaped.
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  const std::string e = escape_peer_text(all);
  for (unsigned char c : e) CHECK_MESSAGE((c >= 0x20 && c < 0x7f), int(c));
  CHECK(e.size() == 95 + 161 * 4 + 1); // 95 printable kept, '\' doubled, the rest as \xNN
}
