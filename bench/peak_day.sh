#!/usr/bin/env bash
# bench/peak_day.sh: the peak-day benchmark (docs/peak-day.md). Replays the aid-payout morning
# overload compressed in time, against the real daemon and five tools/smsc-sim carriers on
# loopback, twice: as configured (peak-hour window + deadline routing), and with both off.
#   - five carriers with contract caps (the simulators throttle beyond them, the daemon is
#     configured with the same `throughput`), background bulk + transactional + OTP traffic;
#   - a 10x OTP surge (--surge-s, default 60 s); telkomsel filters 30 % of what it is sent
#     (REJECTD err:069) and indosat sends no receipts at all, both for the whole run, and xl's
#     binds drop (SIGUSR1 to its simulator) for 25 s, a third of the way into the surge;
#   - OTP validity 120 s (real time, not compressed); the peak window covers the surge minute
#     and the next one.
# Then bench/peak_day_report.py reads every message's history from the daemon
# (GET /v1/messages/{id}) and the simulators' logs and computes the figures.
# Load comes from bench/loadgen over the Unix socket only. Every wait is bounded; only the
# PIDs this script started are stopped. Usage:
#   bench/peak_day.sh [--build DIR] [--out DIR] [--runs "configured off"] [--surge-s N]
#                     [--scale F] [--otp-ttl-s N] [--home-cap N]
# --home-cap sets telkomsel's contract cap (default 60/s): lower, the primary route is the
# bottleneck of the surge and deadline routing has work to do.
# --scale multiplies every rate and cap (default 1: 6 OTP/s at rest, 60/s in the surge,
# 155 segments/s of carrier capacity in all).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=$here/build
out=/tmp/smsgw-peak-day
runs="configured off"
surge_s=60
scale=1
otp_ttl=120
home_cap=60
while [[ $# -gt 0 ]]; do
  case $1 in
    --build) build=$(cd "$2" && pwd); shift 2 ;;
    --out) out=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --surge-s) surge_s=$2; shift 2 ;;
    --scale) scale=$2; shift 2 ;;
    --otp-ttl-s) otp_ttl=$2; shift 2 ;;
    --home-cap) home_cap=$2; shift 2 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "peak_day.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
daemon=$build/daemon/smsgw
sim=$build/tools/smsc-sim/smsc-sim
loadgen=$build/bench/loadgen/loadgen
for exe in "$daemon" "$sim" "$loadgen"; do
  [[ -x $exe ]] || { echo "peak_day.sh: $exe missing: ninja -C $build smsgw smsc-sim loadgen" >&2; exit 2; }
done
mkdir -p "$out"

# rate R scaled, as a number with two decimals
sc() { awk -v r="$1" -v s="$scale" 'BEGIN { printf "%.2f", r * s }'; }

# name cap binds alternates sim-options (the faults)
carriers=(
  "telkomsel $home_cap 2 indosat,xl --outcomes DELIVRD=70,REJECTD=30 --rejectd-err 069"
  "indosat 40 2 telkomsel,xl --outcomes NONE=100"
  "xl 30 2 telkomsel,indosat --fault-drop-binds-for-ms 25000"
  "tri 15 1 indosat,telkomsel"
  "smartfren 10 1 xl,telkomsel"
)
# Traffic shares by carrier (the loadgen's prefixes): roughly the market.
prefixes="0812=50,0814=20,0817=15,0895=10,0881=5"
otp_rate=$(sc 6)
surge_rate=$(sc 60)
bulk_rate=$(sc 20)
trans_rate=$(sc 10)
receipt_delay_ms=1000

pids=()
stop_all() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  pids=()
}
trap stop_all EXIT

# Waits (bounded) for a file to contain a line matching a pattern.
wait_for_line() {  # file pattern seconds
  for _ in $(seq $(( $3 * 10 ))); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "peak_day.sh: timed out waiting for '$2' in $1" >&2
  return 1
}

# HH:MM in WIB (UTC+7) of a Unix time.
wib() { TZ=Asia/Jakarta date -d "@$1" +%H:%M; }

one_run() {  # mode: configured | off
  local mode=$1 dir=$out/$1
  rm -rf "$dir"; mkdir -p "$dir"
  echo "== run '$mode' in $dir"

  # 1. the carriers
  local -A port sim_pid
  local line name cap binds alts opts
  for line in "${carriers[@]}"; do
    read -r name cap binds alts opts <<<"$line"
    # shellcheck disable=SC2086
    "$sim" --port 0 --name "$name" --password Pk7wQ2 --receipt-delay-ms $receipt_delay_ms \
      --max-submits-per-s "$(sc "$cap")" --first-message-id $(( RANDOM * 1000 + 1 )) $opts \
      >"$dir/$name.sim.out" 2>"$dir/$name.sim.log" &
    pids+=($!); sim_pid[$name]=$!
  done
  for line in "${carriers[@]}"; do
    read -r name _ <<<"$line"
    wait_for_line "$dir/$name.sim.out" '^listening on' 10
    port[$name]=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$dir/$name.sim.out")
  done

  # 2. the schedule: the surge starts on a WIB minute boundary at least 25 s from now, so a
  #    peak window ("HH:MM", minute resolution) can cover it exactly: [surge, surge + 2 min).
  local now surge_at
  now=$(date +%s)
  surge_at=$(( (now + 25 + 59) / 60 * 60 ))
  local peak_start peak_end
  peak_start=$(wib "$surge_at"); peak_end=$(wib $(( surge_at + 120 )))
  [[ $peak_end == 00:00 ]] && peak_end=24:00

  # 3. the daemon's config
  local conf=$dir/smsgw.toml
  {
    echo "stop_timeout_ms = 5000"
    for line in "${carriers[@]}"; do
      read -r name cap binds alts _ <<<"$line"
      cat <<TOML
[[carrier]]
name = "$name"
host = "127.0.0.1"
port = ${port[$name]}
system_id = "smsgw"
password = "Pk7wQ2"
binds = $binds
window = 10
throughput = $(sc "$cap")
burst = $(awk -v c="$(sc "$cap")" 'BEGIN { b = int(c / 2); print (b < 1 ? 1 : (b > 20 ? 20 : b)) }')
reconnect_initial_ms = 500
reconnect_max_ms = 5000
alternates = [$(sed 's/\([a-z]*\)/"\1"/g; s/,/, /g' <<<"$alts")]
filtered_errors = ["err:069"]
TOML
      if [[ $mode == configured ]]; then
        cat <<TOML
  [[carrier.peak]]
  name = "aid payout (compressed)"
  days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
  start = "$peak_start"
  end = "$peak_end"
  transactional_share = 1
  bulk_share = 0
TOML
      else
        echo "peak = []"
      fi
    done
    cat <<TOML
[queue]
db_path = "$dir/queue.db"
synchronous = "full"
[api]
socket_path = "$dir/api.sock"
[logging]
level = "info"
dlr_log = "$dir/dlr.log"
TOML
  } >"$conf"
  # Deadline routing: switched only where this daemon knows the key.
  local deadline=unsupported
  local want=true; [[ $mode == off ]] && want=false
  if "$daemon" --check-config --config <(cat "$conf"; printf '[routing]\ndeadline_routing = %s\n' "$want") \
       >/dev/null 2>&1; then
    printf '[routing]\ndeadline_routing = %s\n' "$want" >>"$conf"
    deadline=$want
  fi
  "$daemon" --check-config --config "$conf" >/dev/null

  # 4. the daemon, and all links bound
  "$daemon" --config "$conf" >"$dir/daemon.log" 2>&1 &
  local daemon_pid=$!; pids+=("$daemon_pid")
  local bound=0
  for _ in $(seq 300); do
    if curl -s --max-time 2 --unix-socket "$dir/api.sock" http://smsgw/healthz 2>/dev/null \
        | jq -e '[.bound_links[]] | add == 8' >/dev/null 2>&1; then bound=1; break; fi
    sleep 0.1
  done
  [[ $bound == 1 ]] || { echo "peak_day.sh: links not all bound within 30 s" >&2; return 1; }

  # 5. the traffic: background from now until 30 s after the surge; the surge.
  local start_at; start_at=$(date +%s)
  local bg_s=$(( surge_at + surge_s + 30 - start_at ))
  local lg=("$loadgen" --socket "$dir/api.sock" --prefixes "$prefixes" --ttl-s $otp_ttl --summary-json)
  "${lg[@]}" --label bulk --mix bulk=2,transactional=1 --rate "$(sc 30)" --clients 8 \
    --duration-s $bg_s --count 1000000 --first-number 10000000 --seed 11 \
    --jsonl "$dir/bulk.jsonl" >"$dir/bulk.summary.json" &
  local bg_pid=$!; pids+=("$bg_pid")
  "${lg[@]}" --label otp-base --rate "$otp_rate" --clients 4 --duration-s $bg_s --count 1000000 \
    --first-number 20000000 --seed 12 --jsonl "$dir/otp-base.jsonl" >"$dir/otp-base.summary.json" &
  local base_pid=$!; pids+=("$base_pid")
  local lead=$(( surge_at - $(date +%s) ))
  (( lead > 0 )) && sleep "$lead"
  echo "   surge at $(date -u +%T) UTC ($peak_start WIB), $surge_rate OTP/s for $surge_s s; peak window: $([[ $mode == configured ]] && echo "$peak_start-$peak_end WIB" || echo none); deadline_routing: $deadline"
  # The surge adds 9x the base rate: with the base, 10x.
  "${lg[@]}" --label otp-surge --rate "$(awk -v a="$surge_rate" -v b="$otp_rate" 'BEGIN{print a-b}')" \
    --clients 32 --duration-s "$surge_s" --count 1000000 --first-number 30000000 --seed 13 \
    --jsonl "$dir/otp-surge.jsonl" >"$dir/otp-surge.summary.json" &
  local surge_pid=$!; pids+=("$surge_pid")
  sleep $(( surge_s / 3 ))
  echo "   xl binds drop at $(date -u +%T) UTC for 25 s"
  kill -USR1 "${sim_pid[xl]}"
  wait "$surge_pid" "$bg_pid" "$base_pid" || true
  echo "   traffic over at $(date -u +%T) UTC; waiting for outcomes"

  # 6. outcomes: every OTP final or past its validity (+ a receipt's delay), bulk sent
  python3 "$here/bench/peak_day_report.py" collect --dir "$dir" --mode "$mode" \
    --deadline-routing "$deadline" --surge-at "$surge_at" --surge-s "$surge_s" \
    --peak "$([[ $mode == configured ]] && echo "$peak_start-$peak_end" || echo none)"
  curl -s --unix-socket "$dir/api.sock" http://smsgw/metrics >"$dir/metrics.txt" || true
  stop_all
}

for mode in $runs; do one_run "$mode"; done
python3 "$here/bench/peak_day_report.py" table --out "$out" --runs "$runs" | tee "$out/report.md"
