import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { packageRoot } from '../../src/native';

// `virnucpro export` hands its arguments to scripts/export-models.py; argparse's usage and errors must
// name `virnucpro export`, the command the user typed, not the Python script.

const MAIN = path.join(packageRoot(), 'dist', 'src', 'cli', 'main.js');

test('virnucpro export --help prints virnucpro export usage with the subcommands', () => {
  const help = execFileSync(process.execPath, [MAIN, 'export', '--help'], { encoding: 'utf8' });
  expect(help).toMatch(/^usage: virnucpro export \[-h\] \{esm2,dnabert-s,classifier,tiny,random\}/);
  expect(help).not.toContain('export-models.py');
});

test('a subcommand usage error names virnucpro export and the subcommand', () => {
  const child = spawnSync(process.execPath, [MAIN, 'export', 'tiny'], { encoding: 'utf8' });
  expect(child.status).toBe(2);
  expect(child.stderr).toContain('usage: virnucpro export tiny [-h] --out OUT');
  expect(child.stderr).toContain('virnucpro export tiny: error: the following arguments are required: --out');
});
