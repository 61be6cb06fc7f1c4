import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PYTHON } from './native-fixtures';

// Calls run on libuv threads, and OpenMP keeps a thread count per thread. With no count asked for
// (as in predict's parent, which classifies), the same rows gave one of two bit patterns depending
// on the thread that ran the call, so a resumed run could differ from an uninterrupted one in the last
// digits. A fresh process, so that no earlier setThreads() hides it.

const root = path.resolve(__dirname, '..', '..');

const script = `
const { createHash } = require('node:crypto');
const { native } = require(${JSON.stringify(path.join(root, 'dist', 'src', 'native.js'))});
(async () => {
  const [module, dim] = [process.argv[1], Number(process.argv[2])];
  await native().loadModel('classifier', module, { device: 'cpu', dtype: 'fp32' });
  const rows = 16;
  const features = new Float32Array(rows * dim);
  let seed = 1;
  for (let i = 0; i < features.length; i++) features[i] = (seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5;
  const results = new Set();
  // concurrent calls spread over the libuv threads
  for (let round = 0; round < 4; round++) {
    const outputs = await Promise.all(
      Array.from({ length: 8 }, () => native().classify('classifier', { features, shape: [rows, dim] })),
    );
    for (const { data } of outputs) results.add(createHash('sha256').update(data).digest('hex'));
  }
  console.log(results.size);
})();
`;

test('the same rows give the same bits whichever thread runs the call', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'virnucpro-threads-'));
  try {
    execFileSync(PYTHON, [path.join(root, 'scripts', 'export-models.py'), 'tiny', '--out', dir], {
      stdio: 'pipe',
    });
    const classifier = path.join(dir, 'classifier');
    const { input_dim: dim } = JSON.parse(readFileSync(path.join(classifier, 'manifest.json'), 'utf8'));
    const module = path.join(classifier, 'model.pt');
    const distinct = execFileSync(process.execPath, ['-e', script, module, String(dim)])
      .toString()
      .trim();
    expect(distinct).toBe('1');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
