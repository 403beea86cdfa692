# Sourced by the CLI tests: `expect CODE TEXT -- command...` runs the command and fails the
# test (fail=1) unless it exits CODE and, when TEXT is not empty, says TEXT on stdout or
# stderr. Sets up $tmp (removed on exit) and fail=0.
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
expect() {
  local code="$1" text="$2"; shift 3
  "$@" >"$tmp/out" 2>"$tmp/err"; local got=$?
  if [ "$got" != "$code" ]; then echo "FAIL: '$*' exited $got, expected $code"; cat "$tmp/out" "$tmp/err"; fail=1; return; fi
  if [ -n "$text" ] && ! grep -qF -- "$text" "$tmp/out" "$tmp/err"; then
    echo "FAIL: '$*' did not say: $text"; cat "$tmp/out" "$tmp/err"; fail=1
  fi
}
