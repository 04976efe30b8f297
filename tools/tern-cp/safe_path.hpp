#pragma once

// Where the receiver may write: a relative path is split into components
// and refused if absolute, empty, "." or "..". Opening walks the components
// with openat(O_NOFOLLOW | O_DIRECTORY) from the destination directory, so a
// symlink anywhere on the way (even one planted later) cannot lead outside.

#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace tern_cp {

/// The components of `path`, or an error message in `why`.
bool split_relative_path(std::string_view path, std::vector<std::string>& parts, std::string& why);

/// Opens (creating as needed) the parent directory of `parts` under
/// `root_fd`; returns an fd or -1 with `ec` set (ELOOP/ENOTDIR for symlinks).
int open_parent_dir(int root_fd, const std::vector<std::string>& parts, std::error_code& ec);

} // namespace tern_cp
