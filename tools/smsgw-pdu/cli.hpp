// tools/smsgw-pdu/cli.hpp: the smsgw-pdu command line (decode / encode / --help) as a
// function over streams, so tests can drive it in-process as well as through the binary.
// Exit status: 0 success, 1 some input could not be decoded/encoded, 2 usage error.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace smsgw::pdu_tool {

/// `args` excludes argv[0].
int run_cli(std::vector<std::string> const& args, std::istream& in, std::ostream& out,
            std::ostream& err);

}  // namespace smsgw::pdu_tool
