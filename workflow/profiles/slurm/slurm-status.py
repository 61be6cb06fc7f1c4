#!/usr/bin/env python3
"""Snakemake's cluster-status command for Slurm: prints running, success or failed for one job id.

The state is the first word of sacct's State ("CANCELLED by 0" is CANCELLED), or of scontrol's JobState
while accounting has not recorded the job yet. A job cancelled by scancel, preempted, out of time or
memory, or lost with its node is failed, so Snakemake submits it again (restart-times).
"""
import subprocess
import sys

RUNNING = {
    "PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "REQUEUED", "REQUEUE_FED", "REQUEUE_HOLD",
    "RESIZING", "SUSPENDED", "SIGNALING", "STAGE_OUT", "STOPPED", "RESV_DEL_HOLD",
}
SUCCESS = {"COMPLETED"}


def run(argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ""


def sacct_state(job):
    # -X: the allocation only (not its steps); a requeued job has one line per run, the last is current
    lines = [line for line in run(["sacct", "-j", job, "-X", "-n", "-P", "-o", "State"]).splitlines() if line]
    return lines[-1].split()[0] if lines else None


def scontrol_state(job):
    for field in run(["scontrol", "show", "job", job]).split():
        if field.startswith("JobState="):
            return field.split("=", 1)[1]
    return None


def status(state):
    if state is None or state in RUNNING:
        # unknown yet (just submitted, accounting behind): ask again at the next poll
        return "running"
    return "success" if state in SUCCESS else "failed"


if __name__ == "__main__":
    job = sys.argv[1]
    print(status(sacct_state(job) or scontrol_state(job)))
