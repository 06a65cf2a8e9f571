#!/usr/bin/env bash
# tools/demo.sh: the main job. Installs dependencies, builds (Release, build/demo), starts five
# simulated carrier SMSCs on loopback (Telkomsel, Indosat, XL, Tri, Smartfren; each with its own
# quirks), binds to all five through smsgw's carrier/link code (tools/otp-demo), sends OTPs,
# prints each message's submit_sm_resp and delivery receipt; then starts the smsgw daemon on its
# embedded default config (ports pointed at these simulators), sends OTPs over its Unix socket
# with curl and shows the delivery-receipt log, a message's history and the daemon's log; checks
# the production example config (conf/smsgw.toml); shows what the simulators logged,
# and stops everything it started (by PID, also on Ctrl-C or error). Idempotent; a second run
# only re-checks packages and re-links nothing.
# Env: JOBS (build parallelism, default 2), DEMO_DIR (default build/demo).
set -euo pipefail
cd "$(dirname "$0")/.."
demo_dir=${DEMO_DIR:-build/demo}
run_dir=$demo_dir/run
sim=$demo_dir/tools/smsc-sim/smsc-sim
client=$demo_dir/tools/otp-demo/smsgw-otp-demo
daemon=$demo_dir/daemon/smsgw

step() { printf '\n== %s\n' "$*"; }

step "dependencies (tools/install-deps.sh)"
bash tools/install-deps.sh

step "build (Release, $demo_dir)"
cmake -S . -B "$demo_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
  -DSMSGW_BENCH=OFF >/dev/null
cmake --build "$demo_dir" -j "${JOBS:-2}" --target smsc-sim smsgw-otp-demo smsgw

mkdir -p "$run_dir"
pids=()
cleanup() {
  # One at a time, in order: the daemon (first, once started) unbinds before the simulators stop.
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_sim NAME ARGS...: starts one simulator on an ephemeral port; sets PORT_<NAME>.
start_sim() {
  local name=$1; shift
  "$sim" --port 0 --name "$name" "$@" >"$run_dir/$name.out" 2>"$run_dir/$name.log" &
  pids+=($!)
  local port=""
  for _ in $(seq 100); do
    port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$run_dir/$name.out")
    [[ -n $port ]] && break
    kill -0 "${pids[-1]}" 2>/dev/null || { cat "$run_dir/$name.log" >&2; exit 1; }
    sleep 0.05
  done
  [[ -n $port ]] || { echo "demo: $name did not start" >&2; exit 1; }
  printf -v "PORT_$name" '%s' "$port"
  printf '  %-10s listening on 127.0.0.1:%s  (%s)\n' "$name" "$port" "$*"
}

step "five carrier simulators"
start_sim Telkomsel --id-format hex --receipt-id-format dec --receipt-delay-ms 300
start_sim Indosat   --id-format dec --receipt-form tlv --receipt-delay-ms 200
start_sim XL        --id-format hex --outcomes "DELIVRD=1,REJECTD=1" --seed 7 --receipt-delay-ms 250
start_sim Tri       --id-format hex --fault-throttle-every 3 --receipt-delay-ms 150
start_sim Smartfren --id-format dec --receipt-form text --receipt-delay-ms 100

step "OTPs through smsgw's carrier links (tools/otp-demo)"
set +e
"$client" \
  --carrier "Telkomsel=127.0.0.1:$PORT_Telkomsel" --id-format Telkomsel=resp_hex_dlr_dec \
  --carrier "Indosat=127.0.0.1:$PORT_Indosat" \
  --carrier "XL=127.0.0.1:$PORT_XL" \
  --carrier "Tri=127.0.0.1:$PORT_Tri" \
  --carrier "Smartfren=127.0.0.1:$PORT_Smartfren" \
  --send "Telkomsel:6281100000001:Kode OTP Anda 482913. Jangan berikan kode ini." \
  --send "Telkomsel:6285200000002:Kode OTP Anda 105577" \
  --send "Indosat:6281500000003:Kode OTP Anda 771204" \
  --send "XL:6281700000004:Kode OTP Anda 390016" \
  --send "XL:6287700000005:Kode OTP Anda 662781" \
  --send "Tri:6289500000006:Kode OTP Anda 014488" \
  --send "Tri:6289600000007:Kode OTP Anda 230950" \
  --send "Tri:6289900000008:Kode OTP Anda 557301" \
  --send "Smartfren:6288100000009:Kode OTP Anda 918264"
client_rc=$?
set -e

step "OTPs through the smsgw daemon (HTTP/JSON on its Unix socket, curl)"
# The daemon's embedded default config, pointed at this run's simulator ports and state dir.
state=$PWD/$run_dir/daemon
rm -rf "$state" && mkdir -p "$state"
"$daemon" --print-default-config | sed \
  -e "s/= 2775$/= $PORT_Telkomsel\nmessage_id_format = \"resp_hex_dlr_dec\"/" \
  -e "s/= 2776$/= $PORT_Indosat/" -e "s/= 2777$/= $PORT_XL/" \
  -e "s/= 2778$/= $PORT_Tri/" -e "s/= 2779$/= $PORT_Smartfren/" \
  -e "s|/tmp/smsgw|$state|g" >"$state/smsgw.toml"
"$daemon" --config "$state/smsgw.toml" >"$state/daemon.log" 2>&1 &
pids=("$!" "${pids[@]}")  # stopped first, so it can unbind before the simulators go
for _ in $(seq 100); do [[ -S $state/api.sock ]] && break; sleep 0.05; done
post() { curl -s --unix-socket "$state/api.sock" -H 'content-type: application/json' -d "$2" "http://smsgw$1"; echo; }
printf '  socket: %s\n' "$(ls -l "$state/api.sock" | cut -c1-10) $state/api.sock"
post /v1/otp '{"to":"0812-1111-0001","code":"482913","purpose":"login"}'
post /v1/otp '{"to":"+62 857 1111 0002","code":"105577","purpose":"login"}'
post /v1/otp '{"to":"6281711110003","code":"390016","purpose":"reset-password"}'
post /v1/otp '{"to":"089511110004","code":"014488","purpose":"login"}'
post /v1/otp '{"to":"088111110005","code":"918264","purpose":"login"}'
echo "  a refused number:"; post /v1/otp '{"to":"021-5550123","code":"111111","purpose":"login"}'
sleep 2
echo "  delivery-receipt log ($state/dlr.log, what operators tail -F):"
sed 's/^/    /' "$state/dlr.log"
echo "  history of message 1:"; curl -s --unix-socket "$state/api.sock" http://smsgw/v1/messages/1; echo
echo "  the daemon's own log (stderr; under systemd the same lines go to the journal as <N>text):"
head -6 "$state/daemon.log" | sed 's/^/    /'

step "the production example (conf/smsgw.toml, docs/daemon.md) passes the config check"
"$daemon" --check-config --config conf/smsgw.toml | sed 's/^/  /' ||
  echo "  (it names TLS files under /etc/smsgw/tls/ that this machine does not have)"

step "what the simulators saw (their logs; OTP digits are redacted)"
for name in Telkomsel Indosat XL Tri Smartfren; do
  grep -E "bind_|submit_sm|deliver_sm|unbind" "$run_dir/$name.log" | sed 's/^[^ ]* //' | head -8
done

step "done: simulators stopped; logs in $run_dir"
exit "$client_rc"
