#!/usr/bin/env bash
# Queues the sweep's array job, then the merge to run after every task has succeeded.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p results/peak_promotion
array=$(sbatch --parsable deploy/slurm/sweep.sbatch)
sbatch --dependency="afterok:${array}" deploy/slurm/merge.sbatch
