#!/usr/bin/env bash
# Runs every test of smsgw, as CI does: installs dependencies, then
#   1. a release build with -Werror, all CTest tests (unit, integration, interop);
#   2. the same tests under AddressSanitizer + UndefinedBehaviorSanitizer;
#   3. the libFuzzer target over the framer + decoder for a bounded time (FUZZ_SECONDS, 60);
#   4. docs/daemon.md's Install section, as written, from a fresh clone of HEAD: the build a
#      user makes (Release, no -Werror, but any compiler warning fails the stage), installed
#      into a scratch DESTDIR, then the installed programs run.
# Usage: tools/test.sh [release|asan|fuzz|install ...]   (default: all four)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
jobs=${JOBS:-$(nproc)}
stages=("$@")
((${#stages[@]})) || stages=(release asan fuzz install)

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
  for f in bin/smsgw bin/smsgw-pdu lib/systemd/system/smsgw.service lib/sysusers.d/smsgw.conf \
    share/doc/smsgw/daemon.md share/doc/smsgw/smsgw.toml share/doc/smsgw/smsgw.logrotate; do
    [[ -f $p/$f ]] || { echo "install: $prefix/$f was not installed" >&2; return 1; }
  done
  local out
  out=$("$p/bin/smsgw" --check-config --config "$p/share/doc/smsgw/smsgw.toml")
  echo "$out"
  [[ $out == *"configuration OK"* ]] ||
    { echo "install: the installed smsgw did not accept the installed smsgw.toml" >&2; return 1; }
  "$p/bin/smsgw" --help >/dev/null
  "$p/bin/smsgw-pdu" --help >/dev/null
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
  echo "install: docs/daemon.md's Install section builds and installs; the installed smsgw and smsgw-pdu run"
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
        echo "== libFuzzer: framer + decoder for ${FUZZ_SECONDS:-60} s"
        CXX=clang++ cmake -S . -B build/fuzz -G Ninja -DSMSGW_FUZZ=ON -DSMSGW_BENCH=OFF \
          -DSMSGW_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
        cmake --build build/fuzz -j "$jobs" --target fuzz_decode
        mkdir -p build/fuzz/corpus
        build/fuzz/tests/fuzz/fuzz_decode -max_total_time="${FUZZ_SECONDS:-60}" -print_final_stats=1 \
          -artifact_prefix=build/fuzz/ build/fuzz/corpus "$root/tests/fuzz/corpus"
      fi ;;
    install)
      echo "== docs/daemon.md's Install section from a fresh clone"
      install_check ;;
    *) echo "unknown stage: $stage" >&2; exit 2 ;;
  esac
done
echo "tools/test.sh: all stages passed (${stages[*]})"
