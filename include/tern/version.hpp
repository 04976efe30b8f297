#pragma once

#include <string_view>

#define TERN_VERSION_MAJOR 0
#define TERN_VERSION_MINOR 1
#define TERN_VERSION_PATCH 0
#define TERN_VERSION_STRING "0.1.0"

namespace tern {

/// The library's version as "MAJOR.MINOR.PATCH"; matches the installed package.
std::string_view version() noexcept;

} // namespace tern
