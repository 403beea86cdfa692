#!/usr/bin/env bash
# The CI examples (examples/ci/): the YAML passes yamllint (strict, examples/ci/.yamllint);
# each file is the shape its server reads (a workflow's steps, a GitLab job's script and junit
# report, a declarative pipeline's stages and post); each installs the package, runs the gate
# against a committed baseline, publishes junit.xml, posts summary.md and keeps report.html,
# whatever the gate's verdict; and the three run the same estate commands, which the package
# test (tests/ship/package_test.sh) runs against the installed package. There is no Debian
# tool for a Jenkinsfile (Jenkins' own linter needs a Jenkins server): its braces, quotes and
# directives are checked here.
set -u
src="$2"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
say() { echo "FAIL: $*"; fail=1; }
source "$src/tests/ship/ci_commands.sh"
ci="$src/examples/ci"

# 1. yamllint, strict: warnings fail too. Check it sees both files (a config that ignored
# them would pass anything): a broken copy must fail.
yamllint --strict -c "$ci/.yamllint" "$ci/github-actions.yml" "$ci/gitlab-ci.yml" || say "yamllint (above)"
for f in github-actions.yml gitlab-ci.yml; do
  sed '0,/^  [a-z]/s/^  \([a-z]\)/   \1/' "$ci/$f" >"$tmp/$f"  # one line indented wrongly
  yamllint --strict -c "$ci/.yamllint" "$tmp/$f" >/dev/null && say "yamllint passes a broken $f"
done

# 2. Each file's shape, and what it publishes.
/usr/bin/python3 - "$ci" <<'PY' || say "the CI examples' shape (above)"
import re, sys, yaml
ci = sys.argv[1]
bad = []
def check(cond, what):
    if not cond: bad.append(what)

gh = yaml.safe_load(open(f"{ci}/github-actions.yml"))
on = gh.get("on", gh.get(True))  # PyYAML reads the key `on` as True
check(on and "pull_request" in on, "github: runs on pull_request")
steps = gh["jobs"]["gate"]["steps"]
check(all(("uses" in s) != ("run" in s) for s in steps), "github: every step either uses an action or runs")
gate = [i for i, s in enumerate(steps) if "estate gate" in s.get("run", "")]
check(len(gate) == 1, "github: one step runs estate gate")
after = steps[gate[0] + 1:] if gate else []
check(after and all(str(s.get("if", "")).startswith("always()") for s in after), "github: the steps after the gate run always()")
text = yaml.safe_dump(after)
check("GITHUB_STEP_SUMMARY" in text and "out/gate/summary.md" in text, "github: summary.md to the job summary")
check(any(s.get("uses", "").startswith("mikepenz/action-junit-report@") and s["with"]["report_paths"] == "out/gate/junit.xml" for s in after),
      "github: junit.xml published as a check")
check(any(s.get("uses", "").startswith("actions/upload-artifact@") and "out/gate/*/report.html" in s["with"]["path"] for s in after),
      "github: report.html kept as an artifact")

gl = yaml.safe_load(open(f"{ci}/gitlab-ci.yml"))
job = gl["estate-gate"]
check(any(l.startswith("estate gate ") for l in job["script"]), "gitlab: the script runs estate gate")
check(job["artifacts"]["when"] == "always", "gitlab: artifacts kept whatever the verdict")
check(job["artifacts"]["reports"]["junit"] == "out/gate/junit.xml", "gitlab: junit.xml as the test report")
check("out/gate/*/report.html" in job["artifacts"]["paths"], "gitlab: report.html kept")
check(any("merge_requests/$CI_MERGE_REQUEST_IID/notes" in l and "out/gate/summary.md" in l for l in job["after_script"]),
      "gitlab: summary.md posted as a merge-request note in after_script")

jf = open(f"{ci}/Jenkinsfile").read()
code = re.sub(r"'''.*?'''|'(?:\\.|[^'\\\n])*'|//[^\n]*", "", jf, flags=re.S)  # strings and comments out
depth = 0
for c in code:
    depth += {"{": 1, "}": -1}.get(c, 0)
    check(depth >= 0, "jenkins: a } closes nothing")
check(depth == 0, f"jenkins: braces balance (depth {depth} at the end)")
check(jf.count("'''") % 2 == 0, "jenkins: ''' strings are closed")
for directive in ("pipeline {", "agent {", "stages {", "post {", "always {"):
    check(directive in code, f"jenkins: has {directive}")
post = jf[jf.index("post {"):]
check("junit testResults: 'out/gate/junit.xml'" in post, "jenkins: junit.xml published in post/always")
check("out/gate/*/report.html" in post and "archiveArtifacts" in post, "jenkins: report.html archived in post/always")
check("readFile('out/gate/summary.md')" in post, "jenkins: summary.md posted in post/always")
for b in dict.fromkeys(bad): print("FAIL:", b)
sys.exit(1 if bad else 0)
PY

# 3. One set of estate commands: a baseline recorded once, the gate against it.
ci_commands "$ci/github-actions.yml" >"$tmp/github"
grep -qE '^estate baseline .*--out baseline\.json' "$tmp/github" || say "github-actions.yml shows no 'estate baseline ... --out baseline.json'"
grep -qE '^estate gate .*--baseline baseline\.json' "$tmp/github" || say "github-actions.yml runs no 'estate gate ... --baseline baseline.json'"
for f in gitlab-ci.yml Jenkinsfile; do
  ci_commands "$ci/$f" >"$tmp/$f.commands"
  diff "$tmp/github" "$tmp/$f.commands" >"$tmp/diff" || { say "$f runs other estate commands than github-actions.yml:"; cat "$tmp/diff"; }
  [ "$(ci_outputs "$ci/$f")" = "$(ci_outputs "$ci/github-actions.yml")" ] || say "$f publishes other outputs than github-actions.yml"
done
# 4. The README shows the three files, and what it quotes of them is in them, word for word.
for f in github-actions.yml gitlab-ci.yml Jenkinsfile; do grep -qF "examples/ci/$f" "$src/README.md" || say "README.md does not show examples/ci/$f"; done
/usr/bin/python3 - "$src/README.md" "$ci" <<'PY' || say "README.md quotes the CI examples as they are not (above)"
import re, sys
readme, ci = open(sys.argv[1]).read(), sys.argv[2]
quoted = 0
for m in re.finditer(r"^( *)```(\w*)\n(.*?)^\1```", readme, flags=re.S | re.M):
    above = readme[:m.start()].rstrip().split("\n\n")[-1]  # the paragraph or list item just above
    mention = re.findall(r"examples/ci/([\w.-]+)", above)
    if not mention:
        continue
    indent = len(m.group(1))
    block = "\n".join(line[indent:] for line in m.group(3).rstrip("\n").split("\n"))
    text = open(f"{ci}/{mention[-1]}").read()
    quoted += 1
    if block not in text:
        print(f"FAIL: the README's excerpt of examples/ci/{mention[-1]} is not in the file:\n{block}")
        sys.exit(1)
if quoted == 0:
    print("FAIL: the README quotes none of the CI examples"); sys.exit(1)
PY

[ "$fail" = 0 ] && echo "PASS: the CI examples lint, have their servers' shape, publish what they should, and run one set of estate commands"
exit "$fail"
