#!/usr/bin/env python3
"""bench/peak_day_report.py: the figures of the peak-day benchmark (bench/peak_day.sh).

collect: after a run's traffic, waits (bounded) until every OTP is final or past its validity,
then reads every accepted message's state and history from the daemon (GET /v1/messages/{id}
on its Unix socket, keep-alive) and what each simulated carrier accepted (its log), and
writes DIR/report.json. table: prints the runs side by side (markdown).
Only the API socket and the run's own files are read; every wait is bounded.
"""
import argparse
import glob
import http.client
import json
import math
import os
import re
import socket
import sys
import time
from datetime import datetime

FINAL = {"delivered", "undeliverable", "expired", "superseded", "cancelled", "rejected", "no_receipt"}


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=10):
        super().__init__("smsgw", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


class Api:
    def __init__(self, path):
        self.path = path
        self.conn = UnixHTTPConnection(path)

    def get(self, target):
        for attempt in range(3):
            try:
                self.conn.request("GET", target)
                r = self.conn.getresponse()
                body = r.read()
                return r.status, json.loads(body) if body else None
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = UnixHTTPConnection(self.path)
        raise RuntimeError("API not answering: " + target)


def percentile(values, p):
    """Nearest rank, as bench/loadgen does."""
    if not values:
        return None
    s = sorted(values)
    rank = min(max(math.ceil(p / 100 * len(s)), 1), len(s))
    return s[rank - 1]


def load_requests(d):
    reqs = []
    for f in sorted(glob.glob(os.path.join(d, "*.jsonl"))):
        with open(f) as fh:
            for line in fh:
                reqs.append(json.loads(line))
    return reqs


def national_to_msisdn(to):
    return "62" + to[1:]


SIM_SUBMIT = re.compile(r"^(\S+) \S+ .*submit_sm \S+ \S+ -> (\d+) dc=.*: id (\S+) \((\w+)")


def sim_submits(d):
    """Every submit_sm a simulator accepted: (carrier, wall ms, msisdn, outcome)."""
    out = []
    for f in glob.glob(os.path.join(d, "*.sim.log")):
        carrier = os.path.basename(f).split(".")[0]
        with open(f, errors="replace") as fh:
            for line in fh:
                m = SIM_SUBMIT.match(line)
                if not m:
                    continue
                t = datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f").timestamp() * 1000  # local time
                out.append((carrier, t, m.group(2), m.group(4)))
    return out


def fetch_all(api, ids):
    msgs = {}
    for i in ids:
        status, body = api.get(f"/v1/messages/{i}")
        if status == 200:
            msgs[i] = body
    return msgs


def collect(a):
    d = a.dir
    reqs = load_requests(d)
    accepted = [r for r in reqs if r.get("status") == 202 and "id" in r]
    otps = {r["id"]: r for r in accepted if r["priority"] == "otp"}
    others = {r["id"]: r for r in accepted if r["priority"] != "otp"}
    api = Api(os.path.join(d, "api.sock"))
    last_expiry = max((r["expires_at_ms"] for r in otps.values()), default=0)
    # Wait for the OTPs: all final, or past their validity + 5 s (a receipt still on its way).
    pending = set(otps)
    deadline = time.time() + 400
    while pending and time.time() < deadline and time.time() * 1000 < last_expiry + 5000:
        time.sleep(5)
        for i in list(pending):
            status, body = api.get(f"/v1/messages/{i}")
            if status == 200 and body["state"] in FINAL:
                pending.discard(i)
    # Bulk and transactional: wait (bounded) until none is still waiting to be sent.
    waiting = set(others)
    deadline = time.time() + 240
    while waiting and time.time() < deadline:
        for i in list(waiting):
            status, body = api.get(f"/v1/messages/{i}")
            if status == 200 and body["state"] not in ("queued", "in_flight"):
                waiting.discard(i)
        if waiting:
            time.sleep(5)
    collected_at = time.time() * 1000
    msgs = fetch_all(api, list(otps) + list(others))
    report = figures(a, reqs, otps, others, msgs, sim_submits(d), collected_at)
    with open(os.path.join(d, "report.json"), "w") as fh:
        json.dump(report, fh, indent=1)
    print(json.dumps(report["otp"], indent=1))


def first(history, state):
    for h in history:
        if h["to"] == state:
            return h["at_ms"]
    return None


def figures(a, reqs, otps, others, msgs, sims, collected_at):
    surge_from = a.surge_at * 1000
    surge_to = surge_from + a.surge_s * 1000
    by_msisdn = {}
    for i, r in otps.items():
        by_msisdn[national_to_msisdn(r["to"])] = r

    def otp_figures(ids):
        n = len(ids)
        in_validity = 0
        ttr = []
        states = {}
        sent_after_expiry = 0
        submits = 0
        for i in ids:
            m = msgs.get(i)
            if not m:
                states["unknown"] = states.get("unknown", 0) + 1
                continue
            states[m["state"]] = states.get(m["state"], 0) + 1
            delivered_at = first(m["history"], "delivered")
            if m["state"] == "delivered" and delivered_at is not None:
                ttr.append((delivered_at - m["created_at_ms"]) / 1000)
                if delivered_at <= m["expires_at_ms"]:
                    in_validity += 1
            for h in m["history"]:
                if h["to"] == "submitted" and h.get("from") == "in_flight":
                    submits += 1
                    if h["at_ms"] > m["expires_at_ms"]:
                        sent_after_expiry += 1
        return {
            "accepted": n,
            "delivered_in_validity": in_validity,
            "delivered_in_validity_share": in_validity / n if n else None,
            "time_to_receipt_s": {"p50": percentile(ttr, 50), "p99": percentile(ttr, 99),
                                  "max": max(ttr) if ttr else None},
            "states": states,
            "submits_accepted_by_daemon_history": submits,
            "sent_after_expiry_by_daemon_history": sent_after_expiry,
        }

    all_otp = list(otps)
    surge_otp = [i for i, r in otps.items() if surge_from <= r["t_ms"] < surge_to]
    out = {"mode": a.mode, "deadline_routing": a.deadline_routing, "peak_window_wib": a.peak,
           "surge_at_utc": datetime.utcfromtimestamp(a.surge_at).strftime("%H:%M:%S"),
           "surge_s": a.surge_s}
    out["otp"] = otp_figures(all_otp)
    out["otp_surge"] = otp_figures(surge_otp)
    # What the carriers saw: accepted submit_sm to OTP numbers, and those after the OTP's expiry.
    sim_otp = [s for s in sims if s[2] in by_msisdn]
    after = [s for s in sim_otp if s[1] > by_msisdn[s[2]]["expires_at_ms"]]
    out["otp"]["sms_accepted_by_carriers"] = len(sim_otp)
    out["otp"]["sms_per_otp"] = len(sim_otp) / len(otps) if otps else None
    out["otp"]["sms_sent_after_expiry_seen_by_carriers"] = len(after)
    per_carrier = {}
    for s in sim_otp:
        per_carrier.setdefault(s[0], {}).setdefault(s[3], 0)
        per_carrier[s[0]][s[3]] += 1
    out["otp"]["sms_by_carrier_and_outcome"] = per_carrier
    # Bulk and transactional: accepted -> first submit_sm accepted.
    for prio in ("bulk", "transactional"):
        ids = [i for i, r in others.items() if r["priority"] == prio]
        delays, unsent = [], 0
        for i in ids:
            m = msgs.get(i)
            at = first(m["history"], "submitted") if m else None
            if at is None:
                unsent += 1
                delays.append((collected_at - (m["created_at_ms"] if m else others[i]["t_ms"])) / 1000)
            else:
                delays.append((at - m["created_at_ms"]) / 1000)
        out[prio] = {"accepted": len(ids), "unsent_at_end": unsent,
                     "delay_to_submit_s": {"p50": percentile(delays, 50), "p99": percentile(delays, 99),
                                           "max": max(delays) if delays else None}}
    out["loadgen"] = {}
    for f in glob.glob(os.path.join(a.dir, "*.summary.json")):
        with open(f) as fh:
            s = json.loads(fh.read() or "{}")
        out["loadgen"][s.get("label", f)] = {k: s.get(k) for k in ("sent", "accepted", "accepted_per_s",
                                                                   "statuses", "transport_errors", "max_lag_ms")}
    return out


def fmt(v, digits=1, pct=False):
    if v is None:
        return "n/a"
    if pct:
        return f"{v * 100:.2f} %"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def table(a):
    runs = a.runs.split()
    reps = []
    for r in runs:
        with open(os.path.join(a.out, r, "report.json")) as fh:
            reps.append(json.load(fh))
    head = "| figure | " + " | ".join(
        f"{r['mode']} (peak window {r['peak_window_wib']}, deadline_routing {r['deadline_routing']})" for r in reps) + " |"
    rows = [head, "|---|" + "---|" * len(reps)]

    def row(name, get):
        rows.append(f"| {name} | " + " | ".join(get(r) for r in reps) + " |")

    # What the load generators asked for and what the API did not take: a share "delivered"
    # is over the accepted OTPs only, so refusals (503, closed connections) must show here.
    def refused(r, labels):
        lg = r.get("loadgen", {})
        sent = sum(lg.get(l, {}).get("sent", 0) for l in labels)
        acc = sum(lg.get(l, {}).get("accepted", 0) for l in labels)
        errs = sum(lg.get(l, {}).get("transport_errors", 0) for l in labels)
        st = {}
        for l in labels:
            for k, v in lg.get(l, {}).get("statuses", {}).items():
                if k != "202":
                    st[k] = st.get(k, 0) + v
        detail = ", ".join(f"{k}: {v}" for k, v in sorted(st.items()))
        return f"{sent} sent, {sent - acc} not accepted ({detail or 'none refused'}; transport errors {errs})"
    row("OTP requests sent / not accepted by the API", lambda r: refused(r, ("otp-base", "otp-surge")))
    for key, label in (("otp", "all OTPs"), ("otp_surge", "surge OTPs")):
        row(f"{label}: accepted (202)", lambda r: fmt(r[key]["accepted"]))
        row(f"{label}: delivered within validity",
            lambda r: f"{r[key]['delivered_in_validity']} = {fmt(r[key]['delivered_in_validity_share'], pct=True)}")
        row(f"{label}: time to receipt p50 / p99 (s)",
            lambda r: f"{fmt(r[key]['time_to_receipt_s']['p50'], 2)} / {fmt(r[key]['time_to_receipt_s']['p99'], 2)}")
        row(f"{label}: final states", lambda r: ", ".join(f"{k} {v}" for k, v in sorted(r[key]["states"].items())))
        row(f"{label}: submits after expiry (daemon history)",
            lambda r: fmt(r[key]["sent_after_expiry_by_daemon_history"]))
    row("OTP SMS accepted by the carriers (simulators)", lambda r: fmt(r["otp"]["sms_accepted_by_carriers"]))
    row("SMS per OTP", lambda r: fmt(r["otp"]["sms_per_otp"], 3))
    row("OTP SMS the carriers got after the OTP's expiry", lambda r: fmt(r["otp"]["sms_sent_after_expiry_seen_by_carriers"]))
    for prio in ("bulk", "transactional"):
        row(f"{prio}: accepted", lambda r: fmt(r[prio]["accepted"]))
        row(f"{prio}: delay to submit p50 / p99 / max (s)",
            lambda r: " / ".join(fmt(r[prio]["delay_to_submit_s"][k], 1) for k in ("p50", "p99", "max")))
        row(f"{prio}: not sent when collected", lambda r: fmt(r[prio]["unsent_at_end"]))
    print("\n".join(rows))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("collect")
    c.add_argument("--dir", required=True)
    c.add_argument("--mode", required=True)
    c.add_argument("--deadline-routing", required=True)
    c.add_argument("--surge-at", type=int, required=True)
    c.add_argument("--surge-s", type=int, required=True)
    c.add_argument("--peak", required=True)
    t = sub.add_parser("table")
    t.add_argument("--out", required=True)
    t.add_argument("--runs", required=True)
    a = p.parse_args()
    collect(a) if a.cmd == "collect" else table(a)


if __name__ == "__main__":
    sys.exit(main())
