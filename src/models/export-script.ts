import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { packageRoot } from '../native';

// scripts/export-models.py needs a Python with torch; which one varies (a venv, Debian's python3-torch
// at /usr/bin/python3 while another python3 comes first on PATH), so the first that imports torch wins.

const CANDIDATES = [process.env.VIRNUCPRO_PYTHON, 'python3', '/usr/bin/python3', 'python'];

let found: string | undefined;

export function pythonWithTorch(): string {
  if (found) return found;
  for (const candidate of CANDIDATES) {
    if (!candidate) continue;
    if (spawnSync(candidate, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0)
      return (found = candidate);
  }
  throw new Error(
    'no Python with torch found (tried VIRNUCPRO_PYTHON, python3, /usr/bin/python3, python); set VIRNUCPRO_PYTHON',
  );
}

/** Runs scripts/export-models.py with the given arguments, its output on this process's; resolves to its exit code. */
export function runExportScript(args: string[], stdio: 'inherit' | 'pipe' = 'inherit'): Promise<number> {
  const script = path.join(packageRoot(), 'scripts', 'export-models.py');
  return new Promise((resolve, reject) => {
    // argparse's usage and errors then name the command the user typed, not the script
    const env = { ...process.env, VIRNUCPRO_EXPORT_PROG: 'virnucpro export' };
    const child = spawn(pythonWithTorch(), [script, ...args], { stdio, env });
    let errors = '';
    child.stderr?.on('data', (b: Buffer) => (errors += b.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (stdio === 'pipe' && code !== 0)
        reject(new Error(`export-models.py ${args[0]} failed: ${errors.trim()}`));
      else resolve(code ?? (signal ? 1 : 0));
    });
  });
}
