import { execFileSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

/** Exports the tiny demo models (python3-torch) into DIR/models; returns that folder. */
export function exportTinyModels(dir: string): string {
  const models = path.join(dir, 'models');
  execFileSync(
    '/usr/bin/python3',
    [path.join(root, 'scripts', 'export-models.py'), 'tiny', '--out', models],
    {
      stdio: 'pipe',
    },
  );
  return models;
}
