// daemon/redact/redact.cpp: digit-run masking for log lines (see redact.hpp).
#include "daemon/redact/redact.hpp"

namespace smsgw {

std::string redact_text(std::string_view text) {
  std::string out(text);
  std::size_t i = 0;
  while (i < out.size()) {
    if (out[i] < '0' || out[i] > '9') {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < out.size() && out[end] >= '0' && out[end] <= '9') ++end;
    if (end - i >= 3) out.replace(i, end - i, end - i, '*');
    i = end;
  }
  return out;
}

}  // namespace smsgw
