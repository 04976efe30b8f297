#include "stream/stream_errc.hpp"

#include <string>

namespace tern::stream {
namespace {

class category final : public std::error_category {
public:
  const char* name() const noexcept override { return "tern.stream"; }
  std::string message(int ev) const override {
    switch (static_cast<stream_errc>(ev)) {
    case stream_errc::flow_control_error:
      return "flow control limit exceeded by peer";
    case stream_errc::stream_limit_error:
      return "peer opened a stream beyond the stream limit";
    case stream_errc::stream_state_error:
      return "frame received for a stream in an invalid state";
    case stream_errc::final_size_error:
      return "final size changed or data beyond the final size";
    case stream_errc::frame_encoding_error:
      return "value out of the protocol's range";
    case stream_errc::protocol_violation:
      return "protocol violation";
    case stream_errc::reset_by_peer:
      return "stream reset by peer";
    case stream_errc::stopped_by_peer:
      return "peer asked to stop sending";
    case stream_errc::stream_closed:
      return "stream closed for writing";
    case stream_errc::streams_blocked:
      return "stream limit reached";
    case stream_errc::message_too_large:
      return "message too large";
    case stream_errc::buffer_full:
      return "send buffer full";
    case stream_errc::deadline_passed:
      return "deadline already passed";
    }
    return "unknown tern.stream error";
  }
};

} // namespace

const std::error_category& stream_category() noexcept {
  static const category instance;
  return instance;
}

} // namespace tern::stream
