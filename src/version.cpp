#include "tern/version.hpp"

namespace tern {

std::string_view version() noexcept { return TERN_VERSION_STRING; }

} // namespace tern
