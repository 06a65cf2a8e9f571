#!/usr/bin/env bash
# Runs every test of smsgw, as CI does: installs dependencies, then
#   1. a release build with -Werror, all CTest tests (unit, integration, interop);
#   2. the same tests under AddressSanitizer + UndefinedBehaviorSanitizer;
#   3. the libFuzzer target over the framer + decoder for a bounded time (FUZZ_SECONDS, 60).
# Usage: tools/test.sh [release|asan|fuzz ...]   (default: all three)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
jobs=${JOBS:-$(nproc)}
stages=("$@")
((${#stages[@]})) || stages=(release asan fuzz)

bash tools/install-deps.sh
if [[ -f tests/interop/package-lock.json ]]; then
  (cd tests/interop && npm ci --no-audit --no-fund --loglevel=error)
fi

configure_and_test() {  # dir, extra cmake args...
  local dir=$1; shift
  cmake -S . -B "$dir" -G Ninja -DSMSGW_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
  (cd "$dir" && ctest --output-on-failure -j "$jobs" --timeout 300)
}

for stage in "${stages[@]}"; do
  case $stage in
    release)
      echo "== release build + tests"
      configure_and_test build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo ;;
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
    *) echo "unknown stage: $stage" >&2; exit 2 ;;
  esac
done
echo "tools/test.sh: all stages passed (${stages[*]})"
