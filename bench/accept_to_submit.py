#!/usr/bin/env python3
"""bench/accept_to_submit.py: the latency from the daemon's 202 to the submit_sm at the carrier.

Joins api_bench --accept-times (one "RECIPIENT REALTIME_US" line per message answered 202) with
the smsc-sim --submit-times files ("DESTINATION_ADDR REALTIME_US" per submit_sm received) on the
number: every bench message has its own number. The API takes 0812..., the daemon sends
62812... (E.164): both are keyed by the subscriber number without "+", "62" or "0". Only the first (earliest) submit of a number
counts, so a retry does not hide the first attempt's latency. Both clocks are CLOCK_REALTIME of
the same machine. A submit can arrive BEFORE its 202 (the claim rides on the accept's commit,
and the link writes at once while the 202 is still on its way): such values stay negative in
the percentiles and are counted. Prints one line; used by bench/e2e_bench.sh.

  bench/accept_to_submit.py ACCEPTS SUBMITS...
"""
import sys


def subscriber(number):
    """0812345, 62812345 and +62812345 are the same subscriber 812345."""
    number = number.lstrip("+")
    if number.startswith("62"):
        return number[2:]
    return number[1:] if number.startswith("0") else number


def main(argv):
    if len(argv) < 3:
        sys.exit("usage: accept_to_submit.py ACCEPTS SUBMITS...")
    accepted = {}
    with open(argv[1]) as f:
        for line in f:
            number, us = line.split()
            accepted[subscriber(number)] = int(us)
    first_submit = {}
    for path in argv[2:]:
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) != 2:
                    continue  # a destination with a space: not one of ours
                number, us = subscriber(parts[0]), int(parts[1])
                if number not in accepted:
                    continue  # another case's message
                if number not in first_submit or us < first_submit[number]:
                    first_submit[number] = us
    ms = sorted((first_submit[n] - accepted[n]) / 1000.0 for n in first_submit)
    missing = len(accepted) - len(ms)
    if not ms:
        print(f"  202 -> submit_sm at the SMSC: no submit seen ({len(accepted)} accepted)")
        return
    pct = lambda p: ms[int(p * (len(ms) - 1))]  # as api_bench's percentiles
    early = [v for v in ms if v < 0]
    extra = f"; {len(early)} submitted before their 202, earliest {ms[0]:.2f} ms" if early else ""
    extra += f"; {missing} accepted without a submit seen" if missing else ""
    print(f"  202 -> submit_sm at the SMSC: p50 {pct(0.5):.2f} ms, p99 {pct(0.99):.2f} ms, "
          f"max {ms[-1]:.2f} ms ({len(ms)} messages{extra})")


if __name__ == "__main__":
    main(sys.argv)
