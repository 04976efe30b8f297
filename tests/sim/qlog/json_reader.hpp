#pragma once

// A strict little JSON reader for the qlog tests: the whole text must be one
// value (RFC 8259), or parse() says where it went wrong. Numbers are doubles;
// strings keep \uXXXX escapes of ASCII only, enough for what tern writes and
// for catching anything it should not.

#include <cctype>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace tern::test::json {

struct value;
using object = std::map<std::string, value>;
using array = std::vector<value>;

struct value {
  std::variant<std::nullptr_t, bool, double, std::string, std::shared_ptr<array>, std::shared_ptr<object>> v;

  bool is_bool() const { return std::holds_alternative<bool>(v); }
  bool is_number() const { return std::holds_alternative<double>(v); }
  bool is_string() const { return std::holds_alternative<std::string>(v); }
  bool is_object() const { return std::holds_alternative<std::shared_ptr<object>>(v); }
  bool is_array() const { return std::holds_alternative<std::shared_ptr<array>>(v); }
  double number() const { return std::get<double>(v); }
  const std::string& string() const { return std::get<std::string>(v); }
  const object& members() const { return *std::get<std::shared_ptr<object>>(v); }
  const array& elements() const { return *std::get<std::shared_ptr<array>>(v); }
  /// The member `key` of an object, or null when absent or not an object.
  const value* find(const std::string& key) const {
    if (!is_object()) return nullptr;
    auto it = members().find(key);
    return it == members().end() ? nullptr : &it->second;
  }
};

class parser {
public:
  explicit parser(std::string_view text) : s_(text) {}

  /// The value, or nothing with error() set.
  std::optional<value> parse() {
    value out;
    if (!parse_value(out, 0)) return std::nullopt;
    skip_space();
    if (pos_ != s_.size()) {
      fail("trailing characters");
      return std::nullopt;
    }
    return out;
  }
  const std::string& error() const { return error_; }

private:
  /// Records the first error; always false.
  bool fail(const char* what) {
    if (error_.empty()) error_ = std::string(what) + " at offset " + std::to_string(pos_);
    return false;
  }
  void skip_space() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
      ++pos_;
  }
  bool literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }
  bool parse_value(value& out, int depth) {
    if (depth > 64) return fail("nesting too deep");
    skip_space();
    if (pos_ >= s_.size()) return fail("value expected");
    const char c = s_[pos_];
    if (c == '{') return parse_object(out, depth);
    if (c == '[') return parse_array(out, depth);
    if (c == '"') {
      std::string str;
      if (!parse_string(str)) return false;
      out.v = std::move(str);
      return true;
    }
    if (literal("true")) return out.v = true, true;
    if (literal("false")) return out.v = false, true;
    if (literal("null")) return out.v = nullptr, true;
    return parse_number(out);
  }
  bool parse_number(value& out) {
    const std::size_t start = pos_;
    if (pos_ < s_.size() && s_[pos_] == '-') ++pos_;
    auto digits = [&] {
      const std::size_t from = pos_;
      while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
      return pos_ > from;
    };
    if (!digits()) return fail("number expected");
    if (pos_ < s_.size() && s_[pos_] == '.' && (++pos_, !digits())) return fail("bad fraction");
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (!digits()) return fail("bad exponent");
    }
    out.v = std::strtod(std::string(s_.substr(start, pos_ - start)).c_str(), nullptr);
    return true;
  }
  bool parse_string(std::string& out) {
    ++pos_; // opening quote
    while (pos_ < s_.size()) {
      const char c = s_[pos_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return fail("control character in string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= s_.size()) break;
      const char e = s_[pos_++];
      switch (e) {
      case '"':
      case '\\':
      case '/':
        out += e;
        break;
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'u': {
        if (pos_ + 4 > s_.size()) return fail("bad \\u escape");
        const long code = std::strtol(std::string(s_.substr(pos_, 4)).c_str(), nullptr, 16);
        pos_ += 4;
        out += code < 0x80 ? static_cast<char>(code) : '?';
        break;
      }
      default:
        return fail("bad escape");
      }
    }
    return fail("unterminated string");
  }
  bool parse_array(value& out, int depth) {
    ++pos_;
    auto a = std::make_shared<array>();
    skip_space();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
      out.v = a;
      return true;
    }
    for (;;) {
      value element;
      if (!parse_value(element, depth + 1)) return false;
      a->push_back(std::move(element));
      skip_space();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == ']') {
        ++pos_;
        out.v = a;
        return true;
      }
      return fail("',' or ']' expected");
    }
  }
  bool parse_object(value& out, int depth) {
    ++pos_;
    auto o = std::make_shared<object>();
    skip_space();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      out.v = o;
      return true;
    }
    for (;;) {
      skip_space();
      if (pos_ >= s_.size() || s_[pos_] != '"') return fail("member name expected");
      std::string key;
      if (!parse_string(key)) return false;
      skip_space();
      if (pos_ >= s_.size() || s_[pos_] != ':') return fail("':' expected");
      ++pos_;
      value member;
      if (!parse_value(member, depth + 1)) return false;
      if (!o->emplace(std::move(key), std::move(member)).second) return fail("duplicate member");
      skip_space();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == '}') {
        ++pos_;
        out.v = o;
        return true;
      }
      return fail("',' or '}' expected");
    }
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  std::string error_;
};

} // namespace tern::test::json
