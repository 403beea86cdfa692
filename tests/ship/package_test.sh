#!/usr/bin/env bash
# The Debian package: CPack builds estate_<version>_amd64.deb from this build tree; its
# control data names estate, the version, amd64 and Depends computed by dpkg-shlibdeps, each
# satisfied on this machine; it holds the binary, the shipped scenarios and schema, the
# contract, the docs, the CI examples, the completion and the man page, owned by root. Unpacked
# into a scratch root (never installed system-wide), its estate runs from a folder outside the
# repository: it finds the installed scenarios by name, and the commands of every CI example
# (examples/ci/) pass there, leaving the outputs the examples publish. lintian judges it too
# when installed (scripts/setup does not install it: it is large).
set -u
estate=$(cd "$(dirname "$1")" && pwd)/$(basename "$1"); src="$2"
build=$(dirname "$estate")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
say() { echo "FAIL: $*"; fail=1; }
source "$src/tests/ship/ci_commands.sh"

version=$("$estate" --version | sed -nE 's/^estate ([0-9.]+).*/\1/p')
arch=$(dpkg --print-architecture)
# 1. Build the package from this build tree (no rebuild: the install rules copy what is built).
start=$(date +%s%N)
cpack --config "$build/CPackConfig.cmake" -B "$tmp/pkg" >"$tmp/cpack.log" 2>&1 || { say "cpack failed:"; cat "$tmp/cpack.log"; exit 1; }
deb="$tmp/pkg/estate_${version}_${arch}.deb"
[ -f "$deb" ] || { say "no $(basename "$deb"); cpack made: $(ls "$tmp/pkg")"; exit 1; }
echo "package: $(basename "$deb"), $(stat -c %s "$deb") bytes, built in $(( ($(date +%s%N) - start) / 1000000 )) ms"

# 2. Control data.
dpkg-deb --info "$deb" >"$tmp/info" || say "dpkg-deb --info failed"
field() { dpkg-deb --field "$deb" "$1"; }
[ "$(field Package)" = estate ] || say "Package: $(field Package)"
[ "$(field Version)" = "$version" ] || say "Version: $(field Version), estate --version says $version"
[ "$(field Architecture)" = "$arch" ] || say "Architecture: $(field Architecture)"
[ -n "$(field Maintainer)" ] && [ -n "$(field Description)" ] || say "no Maintainer or Description"
depends=$(field Depends)
names=" $(sed -E 's/ *\([^)]*\)//g; s/,/ /g' <<<"$depends") "
for lib in libc6 libstdc++6 libgcc-s1; do [[ $names == *" $lib "* ]] || say "Depends lacks $lib: $depends"; done
# Every dependency is satisfied here (so apt install ./estate_*.deb has nothing to fetch on this system).
IFS=',' read -ra deps <<<"$depends"
for dep in "${deps[@]}"; do
  dep=$(echo "$dep" | xargs)
  name=${dep%% *}; constraint=$(sed -nE 's/.*\((.*)\).*/\1/p' <<<"$dep")
  have=$(dpkg-query -W -f='${Version}' "$name" 2>/dev/null | head -1) || true
  [ -n "$have" ] || { say "Depends on $name, not installed here"; continue; }
  if [ -n "$constraint" ]; then
    dpkg --compare-versions "$have" "${constraint%% *}" "${constraint#* }" || say "Depends $dep, here $have"
  fi
done

# 3. Contents: where everything goes, owned by root, nothing outside /usr.
dpkg-deb --contents "$deb" >"$tmp/contents" || say "dpkg-deb --contents failed"
for f in usr/bin/estate usr/share/estate/scenarios/schema.json usr/share/estate/contract/openapi.yaml \
         usr/share/bash-completion/completions/estate usr/share/man/man1/estate.1.gz \
         usr/share/doc/estate/README.md usr/share/doc/estate/ARCHITECTURE.md usr/share/doc/estate/docs/metrics.md \
         usr/share/doc/estate/docs/capacity.md usr/share/doc/estate/deploy/kubernetes/sweep-job.yaml \
         usr/share/estate/scenarios/traces/black_friday_morning.csv \
         usr/share/doc/estate/examples/ci/github-actions.yml usr/share/doc/estate/examples/ci/gitlab-ci.yml \
         usr/share/doc/estate/examples/ci/Jenkinsfile usr/share/doc/estate/third_party/uplot/LICENSE; do
  grep -qE " \./$f$" "$tmp/contents" || say "the package lacks /$f"
done
for s in "$src"/scenarios/*.json; do grep -qE " \./usr/share/estate/scenarios/$(basename "$s")$" "$tmp/contents" || say "the package lacks scenario $(basename "$s")"; done
awk '$2 != "root/root"' "$tmp/contents" | grep . && say "files not owned by root/root (above)"
awk '{print $6}' "$tmp/contents" | grep -vE '^\./(usr(/.*)?)?$' && say "files outside /usr (above)"
grep -qE '^-rwxr-xr-x .* \./usr/bin/estate$' "$tmp/contents" || say "usr/bin/estate is not -rwxr-xr-x"
if command -v lintian >/dev/null; then
  lintian --tag-display-limit 0 "$deb" >"$tmp/lintian" 2>&1
  grep -E '^E: ' "$tmp/lintian" | grep -vE ' (no-copyright-file|no-changelog)' && say "lintian errors (above)"
  sed 's/^/  lintian: /' "$tmp/lintian"
else
  echo "lintian: not installed, not run"
fi

# 4. Unpacked into a scratch root, run from outside the repository.
dpkg-deb -x "$deb" "$tmp/root" || say "dpkg-deb -x failed"
bin="$tmp/root/usr/bin"
[ "$("$bin/estate" --version)" = "$("$estate" --version)" ] || say "the packaged estate says $("$bin/estate" --version)"
file "$bin/estate" | grep -q ', stripped' || say "the packaged estate is not stripped: $(file "$bin/estate")"
[ "$(zcat "$tmp/root/usr/share/man/man1/estate.1.gz")" = "$("$bin/estate" man)" ] || say "the packaged man page is not what 'estate man' prints"
cmp -s "$tmp/root/usr/share/bash-completion/completions/estate" <("$bin/estate" completion bash) ||
  say "the packaged completion is not what 'estate completion bash' prints"
mkdir "$tmp/work" && cd "$tmp/work" || exit 1
export PATH="$bin:$PATH"
out=$(estate validate warehouse_outage 2>&1) || say "installed: estate validate warehouse_outage: $out"
grep -qF "$tmp/root/usr/share/estate/scenarios/warehouse_outage.json" <<<"$out" || say "validate did not use the installed scenario: $out"
estate gate steady_state --out "$tmp/installed" >"$tmp/out" 2>&1 || say "installed: estate gate steady_state exited $?: $(cat "$tmp/out")"
grep -qF "$tmp/root/usr/share/estate/scenarios/steady_state.json" "$tmp/installed/steady_state/report.json" ||
  say "the installed gate did not run the installed steady_state"
# A scenario that replays an order log finds its log installed beside it.
estate validate trace_replay >"$tmp/out" 2>&1 || say "installed: estate validate trace_replay: $(cat "$tmp/out")"
estate run nope >"$tmp/out" 2>&1; code=$?
[ "$code" = 2 ] && grep -qF "$tmp/root/usr/share/estate/scenarios/nope.json" "$tmp/out" || say "installed: estate run nope exited $code: $(cat "$tmp/out")"

# 5. The CI examples' commands, as written, against the installed package, in a repository
# of one scenario (a copy of the installed steady_state: a suite of four would cost seconds).
# The three files run the same commands (tests/ship/ci_examples_test.sh), so one run covers
# them; then every output any of them publishes is there.
start=$(date +%s%N)
mkdir scenarios && cp "$tmp/root/usr/share/estate/scenarios/steady_state.json" scenarios/
ci_commands "$src/examples/ci/github-actions.yml" >"$tmp/commands"
[ -s "$tmp/commands" ] || say "no estate commands in github-actions.yml"
while IFS= read -r line; do
  bash -c "$line" >"$tmp/out" 2>&1 </dev/null || { say "'$line' exited $? (from $tmp/work):"; tail -20 "$tmp/out"; }
done <"$tmp/commands"
for f in "$src"/examples/ci/github-actions.yml "$src"/examples/ci/gitlab-ci.yml "$src"/examples/ci/Jenkinsfile; do
  for pattern in $(ci_outputs "$f"); do
    compgen -G "$pattern" >/dev/null || say "$(basename "$f") publishes $pattern; the commands left none"
  done
done
grep -qF "## estate gate: PASS" out/gate/summary.md 2>/dev/null || say "the example gate did not pass"
echo "CI example commands: $(wc -l <"$tmp/commands") in $(( ($(date +%s%N) - start) / 1000000 )) ms"

[ "$fail" = 0 ] && echo "PASS: $(basename "$deb") builds, holds what it should, and its estate runs the shipped scenarios and the CI examples outside the repository"
exit "$fail"
