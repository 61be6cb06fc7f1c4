import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

// Runs a command to completion, timing it from outside and sampling the peak resident memory (VmHWM,
// Linux /proc) of it and every process it starts, so that workers are measured without their help.

export interface ProcessPeak {
  pid: number;
  /** the command line, to tell workers from their parent */
  command: string;
  peakRssMb: number;
}

export interface ProcessRun {
  wallSeconds: number;
  /** user + system CPU seconds of the process and every descendant it waited for */
  cpuSeconds: number;
  stdout: string;
  stderr: string;
  /** the root process first, then its descendants in the order they were first seen */
  peaks: ProcessPeak[];
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  sampleMilliseconds?: number;
}

export class CommandFailedError extends Error {
  override name = 'CommandFailedError';
}

const clockTicksPerSecond = 100; // USER_HZ, fixed at 100 on Linux for /proc

/** CPU seconds of this process's children that have been waited for (cutime + cstime in /proc). */
function childrenCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is the state (field 3 of proc(5)), so cutime (16) and cstime (17) sit at 13 and 14
  return (Number(fields[13]) + Number(fields[14])) / clockTicksPerSecond;
}

function parentPid(pid: string): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name is in parentheses and may itself hold spaces or parentheses
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null; // exited between listing and reading
  }
}

function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const parent = parentPid(entry);
    if (parent === null) continue;
    const list = children.get(parent) ?? [];
    list.push(Number(entry));
    children.set(parent, list);
  }
  const found: number[] = [];
  const pending = [root];
  while (pending.length > 0) {
    const pid = pending.pop() as number;
    for (const child of children.get(pid) ?? []) {
      found.push(child);
      pending.push(child);
    }
  }
  return found;
}

function readPeak(pid: number): { command: string; kib: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
    if (!match) return null;
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    return { command, kib: Number(match[1]) };
  } catch {
    return null;
  }
}

export function runMeasured(command: string, args: string[], options: RunOptions = {}): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const cpuBefore = childrenCpuSeconds();
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));

    const peaks = new Map<number, ProcessPeak>();
    const sample = () => {
      if (child.pid === undefined) return;
      for (const pid of [child.pid, ...descendants(child.pid)]) {
        const peak = readPeak(pid);
        if (!peak) continue;
        const mb = peak.kib / 1024;
        const known = peaks.get(pid);
        // a process replaced by exec keeps its pid; the latest command line names it
        peaks.set(pid, { pid, command: peak.command, peakRssMb: Math.max(mb, known?.peakRssMb ?? 0) });
      }
    };
    const timer = setInterval(sample, options.sampleMilliseconds ?? 100);

    child.on('error', (error) => {
      clearInterval(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearInterval(timer);
      const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      const cpuSeconds = childrenCpuSeconds() - cpuBefore;
      const err = Buffer.concat(stderr).toString('utf8');
      if (code !== 0) {
        const tail = err.trim().split('\n').slice(-15).join('\n');
        reject(new CommandFailedError(`${command} ${args.join(' ')}: exit ${code ?? signal}\n${tail}`));
        return;
      }
      resolve({
        wallSeconds,
        cpuSeconds,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: err,
        peaks: [...peaks.values()],
      });
    });
  });
}
