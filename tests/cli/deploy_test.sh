#!/usr/bin/env bash
# The sharded-sweep files under deploy/ agree with themselves and with estate: the
# Kubernetes Indexed Job has as many completions as the --shard count its command passes,
# the merge reads where the shards write, the Slurm array has as many tasks as SHARDS, the
# scripts parse, and every estate command in them is one estate accepts (its --help for the
# subcommand lists each option used).
set -u
estate=$(cd "$(dirname "$1")" && pwd)/$(basename "$1"); src="$2"
fail=0
say() { echo "FAIL: $*"; fail=1; }
/usr/bin/python3 - "$src" "$estate" <<'PY' || fail=1
import subprocess, sys, yaml
src, estate = sys.argv[1], sys.argv[2]
bad = []
sweep = yaml.safe_load(open(f"{src}/deploy/kubernetes/sweep-job.yaml"))
merge = yaml.safe_load(open(f"{src}/deploy/kubernetes/merge-job.yaml"))
spec = sweep["spec"]
cmd = spec["template"]["spec"]["containers"][0]["command"]
if spec.get("completionMode") != "Indexed": bad.append("the sweep Job is not Indexed")
shards = int(cmd[cmd.index("--shard") + 1])
if spec["completions"] != shards: bad.append(f"completions {spec['completions']} != --shard {shards}")
if spec["parallelism"] > spec["completions"]: bad.append("parallelism above completions")
out = cmd[cmd.index("--out") + 1]
mcmd = merge["spec"]["template"]["spec"]["containers"][0]["command"]
if mcmd[:3] != ["estate", "merge", out]: bad.append(f"the merge reads {mcmd[2]}, the shards write {out}")
def options_known(command):
    sub = command[1]
    helptext = subprocess.run([estate, sub, "--help"], capture_output=True, text=True).stdout
    for a in command[2:]:
        if a.startswith("--") and a not in helptext: bad.append(f"estate {sub} has no option {a}")
options_known(cmd); options_known(mcmd)
# The values the Job varies are ones estate parses (a dry check: validate each axis' ends).
for i, a in enumerate(cmd):
    if a == "--vary":
        path, values = cmd[i + 1].split("=", 1)
        for v in values.replace(" step ", "..").split(".."):
            r = subprocess.run([estate, "validate", f"{src}/scenarios/peak_promotion.json", "--set", f"{path}={v.strip()}"], capture_output=True, text=True)
            if r.returncode != 0: bad.append(f"{path}={v}: {r.stderr.strip()}")
# Slurm: the array's size is SHARDS; the merge reads where the shards write.
sb = open(f"{src}/deploy/slurm/sweep.sbatch").read()
import re
lo, hi = map(int, re.search(r"#SBATCH --array=(\d+)-(\d+)", sb).groups())
n = int(re.search(r"^SHARDS=(\d+)", sb, re.M).group(1))
if hi - lo + 1 != n: bad.append(f"Slurm array of {hi - lo + 1} tasks, SHARDS={n}")
sout = re.search(r"--out (\S+)", sb).group(1)
mb = open(f"{src}/deploy/slurm/merge.sbatch").read()
if f"estate merge {sout} " not in mb: bad.append(f"the Slurm merge does not read {sout}")
for b in bad: print("FAIL:", b)
sys.exit(1 if bad else 0)
PY
for f in "$src"/deploy/slurm/*.sbatch "$src"/deploy/slurm/*.sh; do bash -n "$f" || say "$f does not parse"; done
exit $fail
