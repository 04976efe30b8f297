#pragma once

// Text a peer chose (file paths in headers, ERR reasons) must not reach a
// terminal or a log as is: an escape sequence could rewrite the screen,
// retitle the terminal or forge log lines. escape_peer_text makes any byte
// string printable and valid UTF-8, so the same result is safe on a
// terminal and inside JSON (whose library then escapes only '"' and '\').

#include <string>
#include <string_view>

namespace tern_cp {

/// `text` with every byte that is not printable, valid UTF-8 written as
/// `\xNN`: C0 controls and DEL, invalid or overlong UTF-8, surrogates.
/// C1 controls (U+0080..U+009F) and the bidirectional overrides (U+200E,
/// U+200F, U+202A..U+202E, U+2066..U+2069), which reorder or hide text,
/// are written as `\u{XXXX}`. A backslash becomes `\\`, so the result is
/// unambiguous. Never fails; the result is at most 8 times as long.
std::string escape_peer_text(std::string_view text);

} // namespace tern_cp
