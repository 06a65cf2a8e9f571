// queue/sql_text.hpp: internal to queue/. SQL text whose enum numbers come from the enums:
//   constexpr std::string_view k_due = sql_text<"... WHERE state = {state::queued}">;
// is "... WHERE state = 0", written at compile time. A placeholder names a value of state,
// priority, receipt_outcome or receipt_status as in C++; an unknown one fails the build.
// "{}" and any other brace are left alone (some statements are completed by fmt::format when
// they are prepared). The text is exactly what a literal would have been, which matters for
// partial indexes: SQLite uses one only if the query's WHERE implies the index's, compared term
// by term with constants, so the index (queue/schema.cpp) and its queries are written with the
// same placeholders.
#pragma once

#include "queue/message.hpp"

#include <array>
#include <cstddef>
#include <string_view>

namespace smsgw::queue {
namespace sql_detail {

struct enum_number {
  std::string_view name;
  int value;
};

template <class E>
constexpr int number(E e) {
  return static_cast<int>(e);
}

inline constexpr enum_number k_enum_numbers[] = {
    {"state::queued", number(state::queued)},
    {"state::in_flight", number(state::in_flight)},
    {"state::outcome_unknown", number(state::outcome_unknown)},
    {"state::submitted", number(state::submitted)},
    {"state::delivered", number(state::delivered)},
    {"state::undeliverable", number(state::undeliverable)},
    {"state::expired", number(state::expired)},
    {"state::cancelled", number(state::cancelled)},
    {"state::superseded", number(state::superseded)},
    {"state::rejected", number(state::rejected)},
    {"state::no_receipt", number(state::no_receipt)},
    {"priority::otp", number(priority::otp)},
    {"priority::transactional", number(priority::transactional)},
    {"priority::bulk", number(priority::bulk)},
    {"receipt_outcome::delivered", number(receipt_outcome::delivered)},
    {"receipt_outcome::undeliverable", number(receipt_outcome::undeliverable)},
    {"receipt_status::applied", number(receipt_status::applied)},
    {"receipt_status::pending", number(receipt_status::pending)},
    {"receipt_status::orphan", number(receipt_status::orphan)},
    {"receipt_status::duplicate", number(receipt_status::duplicate)},
};

/// Not constexpr: reaching it at compile time stops the build, naming it.
inline int unknown_enum_placeholder_in_sql() { return -1; }

/// The number of placeholder `name` (a name between braces: letters, digits, '_', ':').
constexpr int lookup(std::string_view name) {
  for (auto const& e : k_enum_numbers) {
    if (e.name == name) return e.value;
  }
  return unknown_enum_placeholder_in_sql();
}

constexpr bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '_' || c == ':';
}

/// Length of the placeholder starting at s[i] ('{'), braces included; 0 if s[i] starts none.
constexpr std::size_t placeholder_length(std::string_view s, std::size_t i) {
  if (s[i] != '{') return 0;
  std::size_t j = i + 1;
  while (j < s.size() && is_name_char(s[j])) ++j;
  if (j == i + 1 || j == s.size() || s[j] != '}') return 0;
  return j - i + 1;
}

constexpr std::size_t digits(int v) {
  std::size_t n = 1;
  while (v >= 10) {
    v /= 10;
    ++n;
  }
  return n;
}

/// Calls out(char) for each character of `s` with its placeholders replaced.
template <class Out>
constexpr void expand(std::string_view s, Out out) {
  for (std::size_t i = 0; i < s.size();) {
    auto const len = placeholder_length(s, i);
    if (len == 0) {
      out(s[i++]);
      continue;
    }
    int const v = lookup(s.substr(i + 1, len - 2));
    char buf[12] = {};
    std::size_t n = digits(v);
    for (int x = v, k = static_cast<int>(n) - 1; k >= 0; --k, x /= 10)
      buf[k] = static_cast<char>('0' + x % 10);
    for (std::size_t k = 0; k < n; ++k) out(buf[k]);
    i += len;
  }
}

constexpr std::size_t expanded_size(std::string_view s) {
  std::size_t n = 0;
  expand(s, [&n](char) { ++n; });
  return n;
}

/// A string literal as a template argument.
template <std::size_t N>
struct literal {
  char chars[N]{};
  constexpr literal(char const (&s)[N]) {
    for (std::size_t i = 0; i < N; ++i) chars[i] = s[i];
  }
  constexpr std::string_view view() const { return {chars, N - 1}; }
};

template <literal S>
struct expanded {
  static constexpr std::size_t size = expanded_size(S.view());
  static constexpr std::array<char, size + 1> chars = [] {
    std::array<char, size + 1> out{};
    std::size_t n = 0;
    expand(S.view(), [&](char c) { out[n++] = c; });
    return out;
  }();
};

}  // namespace sql_detail

/// `S` with its enum placeholders replaced by their numbers (see the top of this file).
template <sql_detail::literal S>
inline constexpr std::string_view sql_text{sql_detail::expanded<S>::chars.data(),
                                           sql_detail::expanded<S>::size};

}  // namespace smsgw::queue
