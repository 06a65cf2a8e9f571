// tools/smsgw-pdu/json_print.hpp: prints a JSON value indented two spaces per level (Boost
// 1.81's serialize() only writes compact JSON), or compact on one line. Either way the
// output ends with a newline, so captures decoded with --compact are JSON Lines.
#pragma once

#include <iosfwd>

#include <boost/json/value.hpp>

namespace smsgw::pdu_tool {

void print_json(std::ostream& os, boost::json::value const& v, bool compact = false);

}  // namespace smsgw::pdu_tool
