#!/usr/bin/env bash
# Runs every test of smsgw, as CI does: installs dependencies, then
#   1. a release build with -Werror, all CTest tests (unit, integration, interop);
#   2. the same tests under AddressSanitizer + UndefinedBehaviorSanitizer;
#   3. the libFuzzer targets (SMPP framer + decoder, HTTP API, config parser), each for a bounded
#      time (FUZZ_SECONDS, 50);
#   4. docs/daemon.md's Install section, as written, from a fresh clone of HEAD: the build a
#      user makes (Release, no -Werror, but any compiler warning fails the stage), installed
#      into a scratch DESTDIR, then the installed programs run;
#   5. the Debian package (CPack): built, installed on this machine with dpkg -i, its files,
#      modes, user and maintainer scripts checked, removed with dpkg -r and purged with dpkg -P.
#      It needs root on a throwaway machine (CI), and refuses to run where an smsgw package,
#      user or /etc/smsgw already exists.
# Usage: tools/test.sh [release|asan|fuzz|install|deb ...]   (default: all five)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
jobs=${JOBS:-$(nproc)}
stages=("$@")
((${#stages[@]})) || stages=(release asan fuzz install deb)

bash tools/install-deps.sh
if [[ -f tests/interop/package-lock.json ]]; then
  (cd tests/interop && npm ci --no-audit --no-fund --loglevel=error)
fi

configure_and_test() {  # dir, extra cmake args...
  local dir=$1; shift
  # BUILD_TESTING=ON explicitly: docs/daemon.md's Install section configures build/release with
  # it OFF, and a cached OFF would leave ctest nothing to run (--no-tests=error catches that).
  cmake -S . -B "$dir" -G Ninja -DSMSGW_WERROR=ON -DBUILD_TESTING=ON "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
  (cd "$dir" && ctest --output-on-failure --no-tests=error -j "$jobs" --timeout 300)
}

# docs/daemon.md's Install section, between <!-- install:begin --> and <!-- install:end -->, run
# line by line in a fresh clone of HEAD (so the doc and CI cannot drift, and nothing of this
# checkout's untracked files or build directories helps). Only the kinds of line a user runs
# there to build and install are accepted; `sudo cmake --install` runs without sudo, into
# build/install-check/destdir. Then the installed files are checked and the programs run.
install_check() (  # a subshell: its exports stay in it
  local work=$root/build/install-check
  local src=$work/src destdir=$work/destdir log=$work/build.log
  rm -rf "$work"
  mkdir -p "$work"
  if [[ -n $(git status --porcelain --untracked-files=no) ]]; then
    echo "install: note: uncommitted changes are not in the clone; this checks HEAD"
  fi
  git clone --quiet --no-checkout "$root" "$src"
  git -C "$src" fetch --quiet "$root" HEAD
  git -C "$src" checkout --quiet --detach FETCH_HEAD

  local lines=() line build_dir=""
  mapfile -t lines < <(sed -n '/^<!-- install:begin -->$/,/^<!-- install:end -->$/p' \
    "$src/docs/daemon.md" | grep -v -e '^<!--' -e '^```' -e '^[[:space:]]*$' || true)
  if ((${#lines[@]} == 0)); then
    echo "install: docs/daemon.md has no commands between <!-- install:begin --> and <!-- install:end -->" >&2
    return 1
  fi
  for line in "${lines[@]}"; do  # every line known before any runs
    case $line in
      "bash tools/install-deps.sh" | "cmake -S "* | "cmake --build "* | "sudo cmake --install "*) ;;
      *)
        echo "install: tools/test.sh does not know this line of docs/daemon.md's Install block: $line" >&2
        return 1 ;;
    esac
  done
  : >"$log"
  # ccache, when there, only changes how the compiler is started, not what it builds.
  if [[ -z ${CMAKE_CXX_COMPILER_LAUNCHER:-} ]] && command -v ccache >/dev/null; then
    export CMAKE_CXX_COMPILER_LAUNCHER=ccache
  fi
  for line in "${lines[@]}"; do
    echo "install\$ $line"
    case $line in
      "bash tools/install-deps.sh" | "cmake -S "*)
        (cd "$src" && bash -euo pipefail -c "$line") ;;
      "cmake --build "*)
        (cd "$src" && bash -euo pipefail -c "$line") 2>&1 | tee -a "$log" ;;
      "sudo cmake --install "*)
        build_dir=${line#sudo cmake --install }
        build_dir=${build_dir%% *}
        (cd "$src" && DESTDIR=$destdir bash -euo pipefail -c "${line#sudo }") ;;
    esac
  done
  if [[ -z $build_dir ]]; then
    echo "install: docs/daemon.md's Install block has no 'sudo cmake --install DIR' line" >&2
    return 1
  fi
  # The user's build has no -Werror, so that another compiler version cannot break it; this
  # compiler must still be silent (ccache replays the warnings of cached objects).
  if grep -n 'warning:' "$log" >&2; then
    echo "install: the Install section's build warns (above)" >&2
    return 1
  fi

  local prefix
  prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$src/$build_dir/CMakeCache.txt")
  local p=$destdir$prefix f
  for f in bin/smsgw bin/smsgw-pdu bin/smsgwctl lib/systemd/system/smsgw.service lib/sysusers.d/smsgw.conf \
    share/doc/smsgw/daemon.md share/doc/smsgw/smsgw.toml share/doc/smsgw/smsgw.logrotate \
    share/man/man8/smsgw.8 share/man/man5/smsgw.toml.5 share/man/man1/smsgwctl.1; do
    [[ -f $p/$f ]] || { echo "install: $prefix/$f was not installed" >&2; return 1; }
  done
  local out
  out=$("$p/bin/smsgw" --check-config --config "$p/share/doc/smsgw/smsgw.toml")
  echo "$out"
  [[ $out == *"configuration OK"* ]] ||
    { echo "install: the installed smsgw did not accept the installed smsgw.toml" >&2; return 1; }
  "$p/bin/smsgw" --help >/dev/null
  "$p/bin/smsgw-pdu" --help >/dev/null
  "$p/bin/smsgwctl" --help >/dev/null
  out=$("$p/bin/smsgw-pdu" decode --compact 0000001000000015000000000000002a)
  [[ $out == *'"command_name":"enquire_link"'* ]] ||
    { echo "install: smsgw-pdu decoded an enquire_link as: $out" >&2; return 1; }
  # The installed unit names the installed binary and guide.
  local unit=$p/lib/systemd/system/smsgw.service exec doc
  exec=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$unit")
  [[ -x $destdir$exec ]] || { echo "install: the unit's ExecStart=$exec is not installed" >&2; return 1; }
  doc=$(sed -n 's|^Documentation=file:||p' "$unit")
  [[ -f $destdir$doc ]] || { echo "install: the unit's Documentation=$doc is not installed" >&2; return 1; }
  # `systemd-sysusers` (no argument, as the guide runs it) finds the installed sysusers file.
  if command -v systemd-sysusers >/dev/null; then
    mkdir -p "$destdir/etc"
    systemd-sysusers --root="$destdir" >/dev/null
    grep -q '^smsgw:' "$destdir/etc/passwd" ||
      { echo "install: systemd-sysusers did not create smsgw from $prefix/lib/sysusers.d" >&2; return 1; }
  fi
  # The deb stage may package this tree instead of building the same programs again.
  echo "$(git -C "$src" rev-parse HEAD) $src/$build_dir" >"$work/built-tree"
  echo "install: docs/daemon.md's Install section builds and installs; the installed smsgw, smsgwctl and smsgw-pdu run"
)

# The Debian package (cmake/smsgw_package.cmake), installed for real on this machine: CI runs
# as root on a throwaway machine. What the machine had before is never touched: the stage
# refuses to start if an smsgw package, user or group, or any of the package's paths exists,
# and afterwards it removes only what this run created (the package; the user and group, which
# the package keeps on purge, as Debian does for system users).
deb_check() (  # a subshell: its trap and variables stay in it
  local dir=$root/build/deb
  fail() { echo "deb: $*" >&2; exit 1; }
  [[ $(id -u) -eq 0 ]] || fail "needs root (dpkg -i on this machine); CI runs as root"
  local status
  status=$(dpkg-query -W -f='${Status}' smsgw 2>/dev/null || true)
  if [[ -n $status && $status != *not-installed* ]]; then
    fail "an smsgw package is already on this machine ($status): not touching it"
  fi
  if getent passwd smsgw >/dev/null || getent group smsgw >/dev/null; then
    fail "user or group smsgw already exists on this machine: not touching it"
  fi
  local p
  for p in /etc/smsgw /etc/logrotate.d/smsgw /usr/bin/smsgw /usr/bin/smsgw-pdu /usr/bin/smsgwctl /var/lib/smsgw \
    /var/log/smsgw /usr/lib/systemd/system/smsgw.service /usr/lib/sysusers.d/smsgw.conf; do
    [[ ! -e $p ]] || fail "$p already exists on this machine: not touching it"
  done

  # The install stage's tree, when it ran in this invocation on this very commit (and nothing
  # is uncommitted here): the same Release build of the same three programs, which that stage
  # already required to compile without a warning. Else a Release build of their own.
  local reuse="" built head tree
  if [[ -f $root/build/install-check/built-tree && -n ${install_stage_passed:-} &&
        -z $(git status --porcelain --untracked-files=no) ]]; then
    read -r built tree <"$root/build/install-check/built-tree"
    head=$(git rev-parse HEAD)
    [[ $built == "$head" && -f $tree/CPackConfig.cmake ]] && reuse=$tree
  fi
  if [[ -n $reuse ]]; then
    dir=$reuse
    echo "deb: packaging the install stage's Release build of $head"
  else
    local launcher=()
    command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
    cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF -DSMSGW_BENCH=OFF \
      -DSMSGW_WERROR=ON "${launcher[@]}" >/dev/null
    cmake --build "$dir" -j "$jobs" --target smsgw smsgw-pdu smsgwctl
  fi
  rm -f "$dir"/smsgw_*.deb
  (cd "$dir" && cpack -G DEB >/dev/null)
  local deb
  deb=$(echo "$dir"/smsgw_*_*.deb)
  [[ -f $deb ]] || fail "cpack made no package in $dir"
  echo "deb: built $(basename "$deb")"
  dpkg-deb -I "$deb" | sed -n 's/^ \(Package\|Version\|Depends\):/deb:   \1:/p'

  cleanup() {
    if dpkg-query -W -f='${Status}' smsgw 2>/dev/null | grep -qv not-installed; then
      dpkg -P smsgw >/dev/null 2>&1 || true
    fi
    getent passwd smsgw >/dev/null && { userdel smsgw 2>/dev/null || true; }
    getent group smsgw >/dev/null && { groupdel smsgw 2>/dev/null || true; }
    return 0
  }
  trap cleanup EXIT
  local out
  out=$(dpkg -i "$deb" 2>&1) || { echo "$out" >&2; fail "dpkg -i failed"; }
  [[ $(dpkg-query -W -f='${Status}' smsgw) == "install ok installed" ]] || fail "not installed after dpkg -i"

  # Files, and the modes the maintainer scripts give the config.
  for p in /usr/bin/smsgw /usr/bin/smsgw-pdu /usr/bin/smsgwctl /usr/lib/systemd/system/smsgw.service \
    /usr/lib/sysusers.d/smsgw.conf /etc/logrotate.d/smsgw /etc/smsgw/smsgw.toml \
    /usr/share/man/man8/smsgw.8 /usr/share/man/man5/smsgw.toml.5 /usr/share/man/man1/smsgwctl.1 \
    /usr/share/doc/smsgw/daemon.md \
    /usr/share/doc/smsgw/smsgw.toml; do
    [[ -f $p ]] || fail "$p was not installed"
  done
  local want got
  for want in "/etc/smsgw 750 root smsgw" "/etc/smsgw/tls 750 root smsgw" \
    "/etc/smsgw/smsgw.toml 640 root smsgw" "/usr/bin/smsgw 755 root root" \
    "/usr/lib/systemd/system/smsgw.service 644 root root" "/etc/logrotate.d/smsgw 644 root root"; do
    got=$(stat -c '%n %a %U %G' "${want%% *}")
    [[ $got == "$want" ]] || fail "mode/owner: want '$want', have '$got'"
  done
  dpkg-query -W -f='${Conffiles}\n' smsgw | grep -q '^ /etc/smsgw/smsgw.toml ' ||
    fail "/etc/smsgw/smsgw.toml is not a conffile"
  dpkg-query -W -f='${Conffiles}\n' smsgw | grep -q '^ /etc/logrotate.d/smsgw ' ||
    fail "/etc/logrotate.d/smsgw is not a conffile"
  # The system user, from systemd-sysusers.
  local pw uid
  pw=$(getent passwd smsgw) || fail "postinst did not create the user smsgw"
  uid=$(cut -d: -f3 <<<"$pw")
  ((uid < 1000)) || fail "smsgw is not a system user: $pw"
  [[ $(cut -d: -f6,7 <<<"$pw") == /var/lib/smsgw:/usr/sbin/nologin ]] || fail "user smsgw: $pw"
  # The unit names the installed binary; it is neither enabled nor started.
  grep -qx 'ExecStart=/usr/bin/smsgw --config /etc/smsgw/smsgw.toml' /usr/lib/systemd/system/smsgw.service ||
    fail "the installed unit's ExecStart= is not /usr/bin/smsgw"
  if compgen -G '/etc/systemd/system/*.wants/smsgw.service' >/dev/null; then
    fail "the package enabled smsgw.service"
  fi
  for p in /proc/[0-9]*; do
    [[ $(readlink "$p/exe" 2>/dev/null) != /usr/bin/smsgw ]] || fail "the package started smsgw (pid ${p#/proc/})"
  done
  if [[ -d /run/systemd/system ]]; then  # systemd is PID 1
    [[ $(systemctl is-enabled smsgw.service 2>/dev/null) == disabled ]] || fail "smsgw.service is not disabled"
    ! systemctl is-active --quiet smsgw.service || fail "smsgw.service is active"
    systemd-analyze verify /usr/lib/systemd/system/smsgw.service || fail "systemd-analyze verify"
  fi
  # The installed config, as the service user (the group's read right is what lets it).
  out=$(runuser -u smsgw -- /usr/bin/smsgw --check-config --config /etc/smsgw/smsgw.toml 2>&1) ||
    { echo "$out" >&2; fail "smsgw --check-config refused the installed config"; }
  echo "deb: $out"
  [[ $out == *"configuration OK"* ]] || fail "unexpected --check-config output"
  /usr/bin/smsgw-pdu decode --compact 0000001000000015000000000000002a | grep -q enquire_link ||
    fail "the installed smsgw-pdu does not decode"
  # No daemon runs here: smsgwctl must say so and exit 3.
  out=$(/usr/bin/smsgwctl --socket /nonexistent/api.sock status 2>&1) && fail "smsgwctl status without a daemon succeeded"
  [[ $out == *"cannot connect to /nonexistent/api.sock"* ]] || fail "smsgwctl without a daemon said: $out"
  groff -man -ww -z /usr/share/man/man8/smsgw.8 /usr/share/man/man5/smsgw.toml.5 /usr/share/man/man1/smsgwctl.1 ||
    fail "the installed man pages do not format"

  # dpkg -r: programs gone, the conffile kept. Then what smsgw makes at run time (its state
  # and log directories) stands in for a daemon that ran, and dpkg -P removes everything.
  out=$(dpkg -r smsgw 2>&1) || { echo "$out" >&2; fail "dpkg -r failed"; }
  [[ $(dpkg-query -W -f='${Status}' smsgw) == "deinstall ok config-files" ]] ||
    fail "after dpkg -r: $(dpkg-query -W -f='${Status}' smsgw)"
  for p in /usr/bin/smsgw /usr/bin/smsgw-pdu /usr/bin/smsgwctl /usr/lib/systemd/system/smsgw.service \
    /usr/share/man/man8/smsgw.8 /usr/share/man/man1/smsgwctl.1; do
    [[ ! -e $p ]] || fail "$p is still there after dpkg -r"
  done
  [[ -f /etc/smsgw/smsgw.toml && -f /etc/logrotate.d/smsgw ]] || fail "dpkg -r removed a conffile"
  install -d -o smsgw -g smsgw -m 0700 /var/lib/smsgw
  install -d -o smsgw -g smsgw -m 0750 /var/log/smsgw
  : >/var/lib/smsgw/queue.db
  out=$(dpkg -P smsgw 2>&1) || { echo "$out" >&2; fail "dpkg -P failed"; }
  status=$(dpkg-query -W -f='${Status}' smsgw 2>/dev/null || true)
  [[ -z $status || $status == *not-installed* ]] || fail "after dpkg -P: $status"
  for p in /etc/smsgw /etc/logrotate.d/smsgw /var/lib/smsgw /var/log/smsgw; do
    [[ ! -e $p ]] || fail "$p is still there after dpkg -P"
  done
  echo "deb: installed (files, modes, user smsgw, not enabled, not started, --check-config OK), removed (conffile kept), purged (nothing left but the user, as designed)"
)

for stage in "${stages[@]}"; do
  case $stage in
    release)
      echo "== release build + tests"
      configure_and_test build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSMSGW_BENCH=ON ;;
    asan)
      echo "== ASan+UBSan build + tests"
      ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        configure_and_test build/asan -DCMAKE_BUILD_TYPE=Debug -DSMSGW_SANITIZE=address,undefined \
        -DSMSGW_BENCH=OFF ;;
    fuzz)
      if [[ -f tests/fuzz/CMakeLists.txt ]]; then
        # Each target for FUZZ_SECONDS (default 50: about 2.5 minutes for the three), from its
        # seeds in tests/fuzz/ plus what earlier runs in this build dir found.
        secs=${FUZZ_SECONDS:-50}
        echo "== libFuzzer: framer + decoder, HTTP API, config parser, ${secs} s each"
        CXX=clang++ cmake -S . -B build/fuzz -G Ninja -DSMSGW_FUZZ=ON -DSMSGW_BENCH=OFF \
          -DSMSGW_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
        cmake --build build/fuzz -j "$jobs" --target fuzz_decode fuzz_http fuzz_config
        for target in decode http config; do
          seeds=$root/tests/fuzz/corpus_$target dict=()
          [[ $target == decode ]] && seeds=$root/tests/fuzz/corpus
          [[ -f tests/fuzz/$target.dict ]] && dict=(-dict="$root/tests/fuzz/$target.dict")
          mkdir -p "build/fuzz/corpus-$target"
          echo "-- fuzz_$target"
          "build/fuzz/tests/fuzz/fuzz_$target" -max_total_time="$secs" -print_final_stats=1 \
            -artifact_prefix="build/fuzz/fuzz_$target-" "${dict[@]}" "build/fuzz/corpus-$target" "$seeds"
        done
      fi ;;
    install)
      echo "== docs/daemon.md's Install section from a fresh clone"
      install_check
      install_stage_passed=1 ;;
    deb)
      echo "== the Debian package: build, dpkg -i, check, dpkg -r, dpkg -P"
      deb_check ;;
    *) echo "unknown stage: $stage" >&2; exit 2 ;;
  esac
done
echo "tools/test.sh: all stages passed (${stages[*]})"
