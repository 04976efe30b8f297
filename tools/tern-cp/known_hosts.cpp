#include "known_hosts.hpp"

#include "config_dir.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace tern_cp {

std::string default_known_hosts_path() {
  if (const char* env = std::getenv("TERN_KNOWN_HOSTS"); env && *env) return env;
  return config_dir() + "/known_hosts";
}

std::optional<std::string> lookup_known_host(const std::string& file, const std::string& host) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string h, fp;
    if (fields >> h >> fp && h == host) return fp;
  }
  return std::nullopt;
}

bool record_known_host(const std::string& file, const std::string& host, const std::string& fingerprint) {
  std::error_code ec;
  const auto dir = std::filesystem::path(file).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  std::ofstream out(file, std::ios::app);
  out << host << ' ' << fingerprint << '\n';
  return static_cast<bool>(out.flush());
}

} // namespace tern_cp
