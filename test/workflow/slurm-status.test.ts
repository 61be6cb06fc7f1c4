import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { temporaryDir } from '../embed/helpers';

// The Slurm profile's cluster-status script with stand-in sacct and scontrol on PATH that print what
// Slurm 22.05 prints, so every state is checked without a cluster (test/workflow/slurm.test.ts runs it
// on a real one). Snakemake 7's own Slurm executor reads "CANCELLED by 0" as still running.

const script = path.resolve(__dirname, '..', '..', 'workflow', 'profiles', 'slurm', 'slurm-status.py');

function status(sacct: string, scontrol = ''): string {
  const bin = path.join(temporaryDir('slurm-status'), 'bin');
  mkdirSync(bin);
  for (const [name, output] of [
    ['sacct', sacct],
    ['scontrol', scontrol],
  ]) {
    writeFileSync(path.join(bin, name), `#!/bin/sh\nprintf '%s' '${output}'\n`);
    chmodSync(path.join(bin, name), 0o755);
  }
  const run = spawnSync(script, ['42'], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
  if (run.status !== 0) throw new Error(run.stderr.toString());
  return run.stdout.toString();
}

describe("the Slurm profile's status script", () => {
  it.each([
    ['CANCELLED by 0\n', 'failed'],
    ['CANCELLED by 1000\n', 'failed'],
    ['COMPLETED\n', 'success'],
    ['RUNNING\n', 'running'],
    ['PENDING\n', 'running'],
    ['COMPLETING\n', 'running'],
    ['FAILED\n', 'failed'],
    ['TIMEOUT\n', 'failed'],
    ['OUT_OF_MEMORY\n', 'failed'],
    ['NODE_FAIL\n', 'failed'],
    ['PREEMPTED\n', 'failed'],
    // a requeued job: one line per run, the last is the current one
    ['NODE_FAIL\nRUNNING\n', 'running'],
  ])('reads sacct %j as %s', (sacct, expected) => {
    expect(status(sacct)).toBe(`${expected}\n`);
  });

  it('asks scontrol while accounting has no record of the job, and waits when neither has', () => {
    expect(status('', 'JobId=42 JobName=x\n   JobState=CANCELLED Reason=None\n')).toBe('failed\n');
    expect(status('', 'JobId=42 JobName=x\n   JobState=PENDING Reason=Priority\n')).toBe('running\n');
    expect(status('', '')).toBe('running\n');
  });
});
