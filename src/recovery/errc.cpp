#include "recovery/errc.hpp"

#include <string>

namespace tern::recovery {
namespace {

class category final : public std::error_category {
public:
  const char* name() const noexcept override { return "tern.recovery"; }
  std::string message(int value) const override {
    switch (static_cast<recovery_errc>(value)) {
    case recovery_errc::ack_of_unsent_packet:
      return "ACK of a packet number never sent";
    case recovery_errc::invalid_ack_ranges:
      return "ACK ranges empty, unsorted, overlapping or adjacent";
    }
    return "unknown recovery error";
  }
};

} // namespace

const std::error_category& recovery_category() noexcept {
  static const category instance;
  return instance;
}

} // namespace tern::recovery
