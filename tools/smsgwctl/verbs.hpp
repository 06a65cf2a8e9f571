// tools/smsgwctl/verbs.hpp: each smsgwctl verb as a request to the daemon and its output;
// returns the exit code (options.hpp). Writes results to `out`, problems to `err`.
#pragma once

#include <ostream>

#include "tools/smsgwctl/options.hpp"

namespace smsgw::ctl {

int run_verb(options const& o, std::ostream& out, std::ostream& err);

}  // namespace smsgw::ctl
