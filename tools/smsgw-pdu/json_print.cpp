// tools/smsgw-pdu/json_print.cpp: see json_print.hpp. Scalars and keys go through
// boost::json::serialize so string escaping is Boost's, not ours.
#include "tools/smsgw-pdu/json_print.hpp"

#include <ostream>
#include <string>

#include <boost/json/serialize.hpp>

namespace smsgw::pdu_tool {
namespace {

void pretty(std::ostream& os, boost::json::value const& v, std::string& indent) {
  if (auto const* o = v.if_object()) {
    if (o->empty()) {
      os << "{}";
      return;
    }
    os << "{\n";
    indent.append(2, ' ');
    bool first = true;
    for (auto const& kv : *o) {
      if (!first) os << ",\n";
      first = false;
      os << indent << boost::json::serialize(boost::json::string_view(kv.key())) << ": ";
      pretty(os, kv.value(), indent);
    }
    indent.resize(indent.size() - 2);
    os << "\n" << indent << "}";
  } else if (auto const* a = v.if_array()) {
    if (a->empty()) {
      os << "[]";
      return;
    }
    os << "[\n";
    indent.append(2, ' ');
    bool first = true;
    for (auto const& e : *a) {
      if (!first) os << ",\n";
      first = false;
      os << indent;
      pretty(os, e, indent);
    }
    indent.resize(indent.size() - 2);
    os << "\n" << indent << "]";
  } else {
    os << boost::json::serialize(v);
  }
}

}  // namespace

void print_json(std::ostream& os, boost::json::value const& v, bool compact) {
  if (compact) {
    os << boost::json::serialize(v) << "\n";
    return;
  }
  std::string indent;
  pretty(os, v, indent);
  os << "\n";
}

}  // namespace smsgw::pdu_tool
