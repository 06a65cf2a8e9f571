#!/usr/bin/env bash
# bench/e2e_bench.sh: the daemon end to end, as a user runs it: five tools/smsc-sim carriers on
# 127.0.0.1 answering every submit_sm with a receipt, smsgw on them (synchronous = "full"), and
# bench/api_bench sending HTTP/JSON over the Unix socket. For each case it reports msg/s
# accepted and end to end (until every message's receipt is in the DLR log), the daemon's CPU
# per message (utime + stime from /proc/PID/stat, the daemon alone), peak RSS (VmHWM), lost and
# duplicate messages (from the simulators' logs), the latency from the 202 (api_bench read the
# answer) to the submit_sm at the simulated SMSC as p50/p99/max (api_bench --accept-times
# joined on the number with smsc-sim --submit-times by bench/accept_to_submit.py; the first
# submit of a number counts; a submit that beat its 202 stays negative and is counted), and
# with --strace the system calls per message (strace -c -f on the daemon during the case;
# strace slows it, so CPU figures of an strace run are not comparable and are printed apart).
#
#   bench/e2e_bench.sh BUILD_DIR [--strace] [CASE ...]
#   CASE: paced:RATE:COUNT | flood:COUNT:CLIENTS | batch:COUNT:CLIENTS | idle:SECONDS
#         (default: paced:200:2000; idle: the daemon's CPU with its binds up and no load)
#
# Per case it also prints the CPU of the five simulators and of the load generator (they share
# the machine's cores with the daemon). Environment: PERF_OUT=DIR (where --perf writes its flat
# profile and perf.data), PERF_CALLGRAPH="--call-graph dwarf,16384 -F 499" (instead of -g),
# METRICS_OUT=DIR (GET /metrics after each case), KEEP_DIR=DIR (the daemon's log, kept),
# LOAD_THREADS=N (api_bench --threads: its event-loop threads, default 2).
# The carriers have throughput 20000 and burst 1000: a link takes at most the bucket's tokens
# per claim, so a burst of 10 (the default) capped each carrier near 10 messages per claim and
# mark round trip (docs/performance.md).
#
# Bounded: every case has a message count and api_bench a --max-seconds; the script stops only
# the processes it started, by PID. Figures go to docs/performance.md, never into tests.
set -euo pipefail

build=${1:?usage: bench/e2e_bench.sh BUILD_DIR [--strace] [CASE ...]}
shift
use_strace=0 use_perf=0
if [[ ${1:-} == --strace ]]; then use_strace=1; shift; fi
if [[ ${1:-} == --perf ]]; then use_perf=1; shift; fi  # perf record -g of the daemon per case
cases=("$@")
((${#cases[@]})) || cases=(paced:200:2000)

sim=$build/tools/smsc-sim/smsc-sim
daemon=$build/daemon/smsgw
load=$build/bench/api_bench
for f in "$sim" "$daemon" "$load"; do [[ -x $f ]] || { echo "missing $f (build it)" >&2; exit 2; }; done
((use_strace == 0)) || command -v strace >/dev/null || { echo "strace not installed" >&2; exit 2; }

for out in "${PERF_OUT:-}" "${METRICS_OUT:-}" "${KEEP_DIR:-}"; do [[ -z $out ]] || mkdir -p "$out"; done
dir=$(mktemp -d /tmp/smsgw-e2e-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  [[ -n ${KEEP_DIR:-} ]] && cp "$dir"/daemon.err "$KEEP_DIR"/ 2>/dev/null; rm -rf "$dir"
}
trap cleanup EXIT

names=(telkomsel indosat xl tri smartfren)
ports=()
for n in "${names[@]}"; do
  "$sim" --port 0 --name "$n" --system-id smsgw --password bench --receipt-delay-ms 100 \
    --submit-times "$dir/$n.submits" \
    >"$dir/$n.out" 2>"$dir/$n.log" &
  pids+=($!)
done
for n in "${names[@]}"; do
  for _ in $(seq 100); do
    port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/$n.out" | head -1)
    [[ -n $port ]] && break
    sleep 0.1
  done
  [[ -n $port ]] || { echo "smsc-sim $n did not start" >&2; exit 1; }
  ports+=("$port")
done

{
  echo 'stop_timeout_ms = 10000'
  for i in "${!names[@]}"; do
    cat <<EOF

[[carrier]]
name = "${names[$i]}"
host = "127.0.0.1"
port = ${ports[$i]}
system_id = "smsgw"
password = "bench"
throughput = 20000
burst = 1000
binds = 2
window = 64
peak = []
EOF
  done
  cat <<EOF

[queue]
db_path = "$dir/queue.db"

[limits]
enabled = false

[api]
socket_path = "$dir/api.sock"
max_connections = 1000

[logging]
dlr_log = "$dir/dlr.log"
EOF
} >"$dir/smsgw.toml"

"$daemon" --config "$dir/smsgw.toml" >"$dir/daemon.out" 2>"$dir/daemon.err" &
dpid=$!
pids+=("$dpid")
bound() { curl -s --unix-socket "$dir/api.sock" http://smsgw/healthz 2>/dev/null || true; }
for _ in $(seq 300); do
  h=$(bound)
  if [[ $h == *'"status":"ok"'* ]] && [[ $(grep -o '"[a-z]*":2' <<<"$h" | wc -l) -ge 5 ]]; then break; fi
  sleep 0.1
done
[[ $(bound) == *'"status":"ok"'* ]] || { echo "smsgw did not come up:"; cat "$dir/daemon.err"; exit 1; }

ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$dpid/stat"; }
# Context switches of all the daemon's threads (each thread hand-off costs one or two).
ctx_switches() { cat /proc/$dpid/task/*/status | awk '/^(non)?voluntary_ctxt_switches/ {s += $2} END {print s}'; }
sim_pids=("${pids[@]:0:${#names[@]}}")
sim_ticks() { for p in "${sim_pids[@]}"; do cat "/proc/$p/stat"; done | awk '{s += $14 + $15} END {print s + 0}'; }
wal_fsyncs() {
  curl -s --unix-socket "$dir/api.sock" http://smsgw/metrics |
    awk '/^smsgw_queue_fsync_duration_seconds_count/ {print $2}'
}
submit_lines() { cat "$dir"/*.submits 2>/dev/null | wc -l; }
dlr_count() { [[ -f $dir/dlr.log ]] && wc -l <"$dir/dlr.log" || echo 0; }
echo "# $(date -u +%FT%TZ) $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), build $build"

sent=0
for c in "${cases[@]}"; do
  IFS=: read -r mode a b <<<"$c"
  if [[ $mode == idle ]]; then  # idle:SECONDS: no load, binds up (enquire_link, polls, timers)
    cpu0=$(cpu_ticks) ctx0=$(ctx_switches) t0=$(date +%s.%N)
    sleep "$a"
    cpu1=$(cpu_ticks) ctx1=$(ctx_switches) t1=$(date +%s.%N)
    echo "== $c"
    awk -v c0="$cpu0" -v c1="$cpu1" -v hz="$ticks" -v x0="$ctx0" -v x1="$ctx1" -v t0="$t0" -v t1="$t1" 'BEGIN {
      printf "  idle %.1f s: daemon CPU %.2f s = %.2f %% of a core, %.1f context switches per second\n",
             t1 - t0, (c1 - c0) / hz, 100 * (c1 - c0) / hz / (t1 - t0), (x1 - x0) / (t1 - t0) }'
    continue
  fi
  case $mode in
    paced) args=(--mode paced --rate "$a" --count "$b" --clients 4); n=$b ;;
    flood) args=(--mode flood --count "$a" --clients "$b"); n=$a ;;
    batch) args=(--mode batch --count "$a" --clients "$b" --batch 1000); n=$a ;;
    *) echo "unknown case $c" >&2; exit 2 ;;
  esac
  before_dlr=$(dlr_count)
  syncs0=$(wal_fsyncs)
  cpu0=$(cpu_ticks) ctx0=$(ctx_switches)
  sim0=$(sim_ticks)
  if ((use_strace)); then
    strace -c -f -q -p "$dpid" -o "$dir/strace.txt" &
    spid=$!
    pids+=("$spid")
    sleep 1  # strace attached to every thread before the load starts
  fi
  if ((use_perf)); then
    perf record -q ${PERF_CALLGRAPH:--g} -p "$dpid" -o "$dir/perf.data" 2>/dev/null &
    ppid=$!
    pids+=("$ppid")
    perf record -q -g -p "${sim_pids[0]}" -o "$dir/perf-sim.data" 2>/dev/null &  # one simulator
    spid_perf=$!
    pids+=("$spid_perf")
    sleep 1
  fi
  t0=$(date +%s.%N)
  loadgen=("$load")
  ((use_perf)) && loadgen=(perf record -q -g -o "$dir/perf-load.data" -- "$load")
  out=$("${loadgen[@]}" --socket "$dir/api.sock" "${args[@]}" ${LOAD_THREADS:+--threads "$LOAD_THREADS"} --max-seconds 300 --first-number "$sent" \
    --accept-times "$dir/accepts-${c//:/-}" || true)
  t1=$(date +%s.%N)
  load_cpu=$(sed -n 's/.* cpu_s=\([0-9.]*\).*/\1/p' <<<"$out")
  load_cpu=${load_cpu:-0}
  for _ in $(seq 1200); do  # every receipt in the DLR log, at most 120 s
    (($(dlr_count) - before_dlr >= n)) && break
    sleep 0.1
  done
  t2=$(date +%s.%N)
  cpu1=$(cpu_ticks) ctx1=$(ctx_switches)
  sim1=$(sim_ticks)
  syncs1=$(wal_fsyncs)
  if ((use_strace)); then
    kill -INT "$spid"
    wait "$spid" || true
  fi
  if ((use_perf)); then
    kill -INT "$ppid"
    wait "$ppid" || true
    perf report -i "$dir/perf.data" --no-children --sort dso,symbol --stdio -g none 2>/dev/null |
      grep -E '^ +[0-9.]+%' | head -30 | cut -c1-110 | sed 's/ *$//' >"${PERF_OUT:-/tmp}/perf-${c//:/-}.txt" || true
    kill -INT "$spid_perf"
    wait "$spid_perf" || true
    cp "$dir/perf.data" "${PERF_OUT:-/tmp}/perf-${c//:/-}.data" 2>/dev/null || true
    for who in sim load; do  # flat profiles of a simulator and of the load generator
      perf report -i "$dir/perf-$who.data" --no-children --sort dso,symbol --stdio -g none 2>/dev/null |
        grep -E '^ +[0-9.]+%' | head -30 | cut -c1-110 | sed 's/ *$//' >"${PERF_OUT:-/tmp}/perf-$who-${c//:/-}.txt" || true
    done
    echo "  perf profile: ${PERF_OUT:-/tmp}/perf-${c//:/-}.txt (data: .data beside it)"
  fi
  if [[ -n ${METRICS_OUT:-} ]]; then  # GET /metrics after the case, for a closer look
    curl -s --unix-socket "$dir/api.sock" http://smsgw/metrics >"$METRICS_OUT/metrics-${c//:/-}.txt" || true
  fi
  for _ in $(seq 40); do  # the simulators write their submit times every 50 ms: at most 2 s,
                          # after the CPU figures were taken
    (($(submit_lines) >= sent + n)) && break
    sleep 0.05
  done
  sent=$((sent + n))
  done_n=$(($(dlr_count) - before_dlr))
  echo "== $c"
  echo "  $out"
  awk -v n="$n" -v d="$done_n" -v t0="$t0" -v t2="$t2" -v c0="$cpu0" -v c1="$cpu1" -v hz="$ticks" \
    -v st="$use_strace" -v s0="$syncs0" -v s1="$syncs1" -v m0="$sim0" -v m1="$sim1" -v lc="$load_cpu" \
    -v x0="$ctx0" -v x1="$ctx1" 'BEGIN {
      printf "  end to end: %d of %d receipts logged in %.2f s = %.0f msg/s\n", d, n, t2 - t0, d / (t2 - t0);
      printf "  daemon CPU: %.2f s = %.3f ms per message%s\n", (c1 - c0) / hz, (c1 - c0) / hz * 1000 / n,
             st ? " (under strace: not comparable)" : "";
      printf "  peers CPU: simulators %.2f s = %.3f ms per message, load generator %.2f s = %.3f ms per message\n",
             (m1 - m0) / hz, (m1 - m0) / hz * 1000 / n, lc, lc * 1000 / n;
      printf "  WAL fsyncs by the queue syncer (its counter): %d = %.2f per message\n", s1 - s0, (s1 - s0) / n
      printf "  context switches of the daemon'"'"'s threads: %d = %.2f per message\n", x1 - x0, (x1 - x0) / n }'
  python3 "$(dirname "$0")/accept_to_submit.py" "$dir/accepts-${c//:/-}" "$dir"/*.submits ||
    echo "  202 -> submit_sm at the SMSC: not measured"
  if ((use_strace)); then
    awk -v n="$n" '$NF ~ /^[a-z_0-9]+$/ && $NF != "syscall" && $4 ~ /^[0-9]+$/ && ($4 / n >= 0.05 || $NF ~ /^(fdatasync|fsync|fcntl)$/) {
      printf "  %-12s %8d calls = %6.2f per message\n", $NF, $4, $4 / n }' "$dir/strace.txt"
  fi
done
grep -h 'submit_sm smsgw' "$dir"/*.log | sed -n 's/.* -> \([0-9]*\) dc=.*/\1/p' | sort | uniq -c |
  awk -v n="$sent" '{ numbers++; if ($1 > 1) dup += $1 - 1 } END {
    printf "lost %d, duplicate submits %d (of %d messages)\n", n - numbers, dup + 0, n }'
echo "peak RSS: $(awk '/VmHWM/ {print $2, $3}' /proc/$dpid/status)"
