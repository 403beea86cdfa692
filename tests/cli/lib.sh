# Shared by the CLI tests (sourced, after they set $tmp and fail=0): say records a failure,
# run checks a command's exit code (stdout in $tmp/out, stderr in $tmp/err), has checks a
# file says something, json evaluates a Python expression on a JSON file (as r).
say() { echo "FAIL: $*"; fail=1; }
run() {  # run CODE -- command...
  local code="$1"; shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"; local got=$?
  [ "$got" = "$code" ] || { say "'$*' exited $got, expected $code"; cat "$tmp/out" "$tmp/err"; }
}
has() { grep -qF -- "$2" "$1" || { say "$1 does not say: $2"; head -40 "$1"; }; }
json() { /usr/bin/python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }
