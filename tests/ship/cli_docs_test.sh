#!/usr/bin/env bash
# What ran is said: `estate --version`, report.json, summary.md, junit.xml and a baseline carry
# the version and the commit estate was built from. The bash completion and the manual page
# are made from the command-line definitions: every command and option `--help` lists is in
# both, and the page renders without a warning. An installed estate (bin/ beside
# share/estate/) finds the shipped scenarios by name from any folder; a name found nowhere
# exits 2 naming every place it looked.
set -u
estate=$(cd "$(dirname "$1")" && pwd)/$(basename "$1"); src="$2"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
say() { echo "FAIL: $*"; fail=1; }

# 1. The version line, and the commit when built from git.
version_line=$("$estate" --version) || say "estate --version exited $?"
[[ $version_line =~ ^estate\ ([0-9]+\.[0-9]+\.[0-9]+)(\ \(commit\ ([^\)]+)\))?$ ]] || say "estate --version says: $version_line"
version=${BASH_REMATCH[1]:-}; commit=${BASH_REMATCH[3]:-}
# Built from git, the commit is one of this repository's history (HEAD, or before it when
# a commit came after the build).
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
  sha=${commit%-dirty}; sha=${sha##*-g}
  [ -n "$sha" ] && git -C "$src" merge-base --is-ancestor "$sha" HEAD 2>/dev/null ||
    say "built from git, but estate --version says commit '$commit', which is not HEAD or before it"
fi
grep -q "project(estate VERSION $version " "$src/CMakeLists.txt" || say "estate --version says $version, CMakeLists.txt another"

# 2. Every output of a run, and a baseline recorded from it, carry both.
"$estate" run "$src/scenarios/steady_state.json" --set duration=20m --out "$tmp/run" --quiet >/dev/null 2>&1
[ -s "$tmp/run/report.json" ] || say "no report.json from a run"
/usr/bin/python3 - "$tmp/run/report.json" "$version" "$commit" <<'PY' || say "report.json does not carry the version and commit"
import json, sys
sc = json.load(open(sys.argv[1]))["scenario"]
want_commit = sys.argv[3] or None
assert sc["estate_version"] == sys.argv[2], sc["estate_version"]
assert sc["estate_commit"] == want_commit, (sc["estate_commit"], want_commit)
PY
made_by="estate $version${commit:+ (commit $commit)}"
grep -qF "<sub>$made_by</sub>" "$tmp/run/summary.md" || say "summary.md does not end with '$made_by'"
grep -qF "<property name=\"estate_version\" value=\"$version\"/>" "$tmp/run/junit.xml" || say "junit.xml has no estate_version property"
if [ -n "$commit" ]; then
  grep -qF "<property name=\"estate_commit\" value=\"$commit\"/>" "$tmp/run/junit.xml" || say "junit.xml has no estate_commit property"
fi
"$estate" baseline "$tmp/run/report.json" --out "$tmp/base.json" --quiet || say "estate baseline from a report exited $?"
/usr/bin/python3 -c '
import json, sys
b = json.load(open(sys.argv[1]))
assert b["estate_version"] == sys.argv[2] and b["estate_commit"] == (sys.argv[3] or None), b' "$tmp/base.json" "$version" "$commit" ||
  say "the baseline does not record the version and commit"

# 3. Bash completion: every command, and every option of each command, from `--help`.
commands=$("$estate" --help | sed -n '/^Subcommands:/,$p' | sed -nE 's/^  ([a-z]+) .*/\1/p')
[ "$(echo "$commands" | wc -w)" -ge 10 ] || say "estate --help lists only: $commands"
"$estate" completion bash >"$tmp/completion.bash" || say "estate completion bash exited $?"
complete_line() {  # complete_line WORD... : what the completion offers for the last word
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _estate; printf "%s\n" "${COMPREPLY[@]}"' _ "$tmp/completion.bash" "$@"
}
offered=$(complete_line estate "")
for c in $commands; do
  grep -qx "$c" <<<"$offered" || say "completion of 'estate ' does not offer $c"
  options=$("$estate" "$c" --help | sed -nE 's/^  (-[a-z], )?(--[a-z-]+).*/\2/p')
  offered_options=$(complete_line estate "$c" "--")
  for o in $options; do grep -qx -- "$o" <<<"$offered_options" || say "completion of 'estate $c --' does not offer $o"; done
done
[ "$(complete_line estate ga)" = gate ] || say "completion of 'estate ga' is not gate"
[ -z "$(complete_line estate gate --baseline "")" ] || say "completion after --baseline offers words, not file names"
"$estate" completion zsh >"$tmp/out" 2>&1; code=$?
[ "$code" = 2 ] && grep -qF 'expected the shell "bash", got "zsh"' "$tmp/out" || say "estate completion zsh exited $code: $(cat "$tmp/out")"

# 4. The manual page: renders without a warning (as lintian checks it), has every command and
# every option.
"$estate" man >"$tmp/estate.1" || say "estate man exited $?"
LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$tmp/estate.1" 2>"$tmp/man.err" >/dev/null
[ -s "$tmp/man.err" ] && say "the manual page has warnings: $(cat "$tmp/man.err")"
MANWIDTH=200 man -l "$tmp/estate.1" 2>/dev/null | col -b >"$tmp/man.txt"
for c in $commands; do
  grep -q "^   estate $c" "$tmp/man.txt" || say "the manual page has no section for estate $c"
  for o in $("$estate" "$c" --help | sed -nE 's/^  (-[a-z], )?(--[a-z-]+).*/\2/p'); do
    [ "$o" = --help ] || grep -qF -- "$o" "$tmp/man.txt" || say "the manual page does not give $c $o"
  done
done
grep -qF "estate $version" "$tmp/man.txt" || say "the manual page does not say estate $version"

# 5. Installed (bin/estate beside share/estate/scenarios/), scenarios are found by name from
# anywhere, through a symlink to the binary too; a path that exists here comes first.
mkdir -p "$tmp/prefix/bin" "$tmp/prefix/share/estate" "$tmp/elsewhere"
ln "$estate" "$tmp/prefix/bin/estate" 2>/dev/null || cp "$estate" "$tmp/prefix/bin/estate"
cp -r "$src/scenarios" "$tmp/prefix/share/estate/"
ln -s "$tmp/prefix/bin/estate" "$tmp/elsewhere/estate-link"
cd "$tmp/elsewhere"
for arg in peak_promotion scenarios/peak_promotion.json peak_promotion.json; do
  out=$("$tmp/prefix/bin/estate" validate "$arg" 2>&1) && grep -qF "\"peak_promotion\"" <<<"$out" || say "installed: validate $arg: $out"
done
out=$(./estate-link validate steady_state 2>&1) || say "through a symlink: validate steady_state: $out"
sed 's/"name": *"steady_state"/"name": "local_copy"/' "$src/scenarios/steady_state.json" >steady_state.json
out=$("$tmp/prefix/bin/estate" validate steady_state.json 2>&1); grep -qF '"local_copy"' <<<"$out" || say "a file here did not come first: $out"
"$tmp/prefix/bin/estate" gate no_such_scenario >"$tmp/out" 2>&1; code=$?
[ "$code" = 2 ] || say "gate no_such_scenario exited $code"
shipped=$(cd "$src/scenarios" && ls *.json | grep -vx schema.json | sed 's/\.json$//' | paste -sd, - | sed 's/,/, /g')
for where in "looked for no_such_scenario here, then " "; shipped scenarios: $shipped" "$tmp/prefix/share/estate/no_such_scenario.json" "$tmp/prefix/share/estate/scenarios/no_such_scenario.json"; do
  grep -qF -- "$where" "$tmp/out" || say "the message for a missing name does not name $where: $(cat "$tmp/out")"
done
# The build tree ships nothing beside it, and says so.
"$estate" run no_such_scenario >"$tmp/out" 2>&1; code=$?
[ "$code" = 2 ] && grep -qF "no_such_scenario: /: cannot read the file (nor in the data an installed estate ships: there is no " "$tmp/out" ||
  say "run no_such_scenario from the build tree exited $code: $(cat "$tmp/out")"

[ "$fail" = 0 ] && echo "PASS: version and commit everywhere; completion and man page from the CLI; shipped scenarios by name"
exit "$fail"
