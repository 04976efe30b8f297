// Unit tests of tern-cp's protocol codec, safe_path, known_hosts, server_trust, identities,
// authorized_keys and progress.
#include "authorized_keys.hpp"
#include "config_dir.hpp"
#include "identity.hpp"
#include "known_hosts.hpp"
#include "progress.hpp"
#include "protocol.hpp"
#include "safe_path.hpp"
#include "server_trust.hpp"

#include <doctest/doctest.h>

#include <array>
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

TEST_CASE("resume lines: header flag, HAVE and FROM round trip; malformed ones are refused") {
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

TEST_CASE("authorized_keys: comments, blank lines and names after the key; bad lines named by number") {
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

TEST_CASE("progress: narrow terminals lose the bar, never exceed the width; unknown rate has no ETA") {
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
