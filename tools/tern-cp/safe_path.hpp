#pragma once

// Where the receiver may write: a relative path is split into components
// and refused if absolute, empty, "." or "..", or if any component starts
// with ".tern-": that namespace is the receiver's own (its partials live in
// DIR/.tern-partial/), so no sender can name, replace or rename onto a file
// the receiver is writing or has verified. Opening walks the components
// with openat(O_NOFOLLOW | O_DIRECTORY) from the destination directory, so a
// symlink anywhere on the way (even one planted later) cannot lead outside.

#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace tern_cp {

/// The components of `path`, or an error message in `why`.
bool split_relative_path(std::string_view path, std::vector<std::string>& parts, std::string& why);

/// Components starting with this are refused in sender paths.
inline constexpr std::string_view reserved_prefix = ".tern-";

/// Opens (creating as needed) the parent directory of `parts` under
/// `root_fd`; returns an fd or -1 with `ec` set (ELOOP/ENOTDIR for symlinks).
/// If `created_from` is given, it is set to the index of the first
/// directory component this call created (parts.size() - 1 if none): every
/// component from there on was created by it.
int open_parent_dir(int root_fd, const std::vector<std::string>& parts, std::error_code& ec,
                    std::size_t* created_from = nullptr);

/// Removes, deepest first, the directories parts[created_from ..
/// parts.size() - 2] if they are empty (a refused file's folders that
/// open_parent_dir made for it); stops at the first one that is not empty
/// or cannot be removed. Walks from `root_fd` without following symlinks.
void remove_created_dirs(int root_fd, const std::vector<std::string>& parts, std::size_t created_from);

} // namespace tern_cp
