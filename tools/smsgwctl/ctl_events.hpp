// tools/smsgwctl/ctl_events.hpp: `smsgwctl events`: follows GET /v1/events, reconnecting
// with Last-Event-ID after a cutoff, a shutdown or a dropped connection (bounded retries
// with backoff). Returns smsgwctl's exit code.
#pragma once

#include "ctl_args.hpp"

namespace smsgwctl {

int follow_events(ctl_options const& options);

}  // namespace smsgwctl
