#!/usr/bin/env bash
# Fuzzes what the live mode does with bytes from the network (tests/fuzz/wire_fuzz.cpp: Beast's
# request parser, the wire codec on both sides) for a bounded time, under ASan + UBSan: builds
# the fuzz preset (clang, build/fuzz, only estate_wire_fuzz) and runs libFuzzer on a copy of
# the seed corpus in a temporary directory. Nothing is written into the repository but the
# build directory.
#
#   ESTATE_FUZZ_SECONDS  how long to fuzz (default 30)
#
# Exits 0 when nothing was found; 1 when libFuzzer found a crash, an assertion, a leak, a
# timeout or an out-of-memory (the input is printed as hex and kept, with the command that
# reproduces it); 2 when the fuzzer could not be built or run.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
seconds="${ESTATE_FUZZ_SECONDS:-30}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || ((seconds == 0)); then
  echo "fuzz: ESTATE_FUZZ_SECONDS must be a positive number of seconds, got \"$seconds\"" >&2
  exit 2
fi

start=$(date +%s)
echo "== fuzz: build (preset fuzz: clang, libFuzzer, ASan + UBSan)" >&2
scripts/build fuzz || exit 2
fuzzer="$root/build/fuzz/estate_wire_fuzz"
built=$(date +%s)

work=$(mktemp -d "${TMPDIR:-/tmp}/estate-fuzz.XXXXXX")
keep=0
trap '((keep)) || rm -rf "$work"' EXIT
mkdir "$work/corpus" "$work/artifacts"
cp "$root"/tests/fuzz/corpus/* "$work/corpus/"

echo "== fuzz: ${seconds} s on $(ls "$work/corpus" | wc -l) seeds" >&2
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
status=0
# From the work directory: libFuzzer writes its corpus and artifacts nowhere else.
(cd "$work" && "$fuzzer" -max_total_time="$seconds" -rss_limit_mb=1024 -timeout=10 -max_len=20000 \
  -dict="$root/tests/fuzz/wire.dict" -artifact_prefix="$work/artifacts/" -print_final_stats=1 \
  "$work/corpus" >"$work/log" 2>&1) || status=$?
end=$(date +%s)

shopt -s nullglob
artifacts=("$work"/artifacts/*)
if ((status == 0 && ${#artifacts[@]} == 0)); then
  # The last status line says what was covered (cov: edges, ft: features, corp: inputs).
  grep -E '^#[0-9]+' "$work/log" | tail -n 1 >&2 || true
  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' "$work/log" >&2 || true
  echo "== fuzz: nothing found (build $((built - start)) s, fuzzing $((end - built)) s)" >&2
  exit 0
fi

keep=1
echo "== fuzz: libFuzzer exited with $status; the end of its log ($work/log):" >&2
tail -n 80 "$work/log" >&2
if ((${#artifacts[@]} == 0)); then
  echo "== fuzz: no crashing input was saved" >&2
  exit 1
fi
for a in "${artifacts[@]}"; do
  echo "== fuzz: input $a ($(wc -c <"$a") bytes), as hex:" >&2
  head -c 1024 "$a" | od -An -tx1 -v >&2
  if (($(wc -c <"$a") > 1024)); then echo "   ... (the first 1024 bytes; the whole input is in the file)" >&2; fi
  echo "== fuzz: reproduce with:" >&2
  echo "   ESTATE_FUZZ_VERBOSE=1 UBSAN_OPTIONS=print_stacktrace=1 $fuzzer $a" >&2
done
exit 1
