#pragma once

#include <cstddef>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace tern::sim {

/// Errors reported by the simulator area (category "tern.sim").
enum class sim_errc {
  bad_spec = 1,     ///< a netem impairment spec does not parse or is inconsistent
  bad_schedule,     ///< a time-varying schedule does not parse
  unknown_node,     ///< a node id that was never added
  unknown_link,     ///< a link id that was never added
  address_in_use,   ///< two nodes claim the same address
  bad_route,        ///< a route with no links, or naming an unknown link
};

const std::error_category& sim_category() noexcept;

inline std::error_code make_error_code(sim_errc e) noexcept {
  return {static_cast<int>(e), sim_category()};
}

/// Why a spec or schedule was rejected: the offending token, where it starts
/// in the parsed text (byte offset), and what the parser expected there.
/// An empty `token` means the text ended where more was expected.
struct parse_error {
  std::error_code code;
  std::string token;
  std::size_t position = 0;
  std::string expected;

  /// One line for humans, e.g.
  /// `bad netem spec: "10xs" at offset 6: expected a time such as 10ms`.
  std::string message() const;
};

/// Either a parsed value or the parse_error explaining the rejection.
template <class T>
class parse_result {
public:
  parse_result(T value) : v_(std::move(value)) {}                 // NOLINT: implicit by design
  parse_result(parse_error error) : v_(std::move(error)) {}       // NOLINT: implicit by design

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  /// The value; only valid when ok().
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  /// The error; only valid when !ok().
  const parse_error& error() const& { return std::get<1>(v_); }

private:
  std::variant<T, parse_error> v_;
};

} // namespace tern::sim

template <>
struct std::is_error_code_enum<tern::sim::sim_errc> : std::true_type {};
