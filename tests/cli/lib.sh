# Shared by the CLI tests, sourced with the test's arguments (ESTATE_BINARY SOURCE_DIR): sets
# $estate (absolute), $src, a scratch $tmp removed on exit and fail=0; say records a failure,
# run checks a command's exit code (stdout in $tmp/out, stderr in $tmp/err), has checks a
# file says something, json evaluates a Python expression on a JSON file (as r).
estate=$(cd "$(dirname "$1")" && pwd)/$(basename "$1"); src="$2"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
say() { echo "FAIL: $*"; fail=1; }
run() {  # run CODE -- command...
  local code="$1"; shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"; local got=$?
  [ "$got" = "$code" ] || { say "'$*' exited $got, expected $code"; cat "$tmp/out" "$tmp/err"; }
}
has() { grep -qF -- "$2" "$1" || { say "$1 does not say: $2"; head -40 "$1"; }; }
json() { /usr/bin/python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }
