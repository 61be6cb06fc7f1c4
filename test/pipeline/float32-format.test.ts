import { spawnSync } from 'node:child_process';
import { formatFloat32 } from '../../src/pipeline/float32-format';
import { seededRandom } from '../../bench/synthetic';

// numpy's str() of np.float32 is the reference; it ships with Debian's python3-torch.
const PYTHON = process.env.VIRNUCPRO_PYTHON ?? '/usr/bin/python3';

function numpyStrings(bits: Uint32Array): string[] {
  const script =
    'import sys, numpy as np\n' +
    'a = np.frombuffer(sys.stdin.buffer.read(), dtype="<u4").view(np.float32)\n' +
    'sys.stdout.write("\\n".join(str(x) for x in a))\n';
  const result = spawnSync(PYTHON, ['-c', script], {
    input: Buffer.from(bits.buffer),
    maxBuffer: 1 << 28,
  });
  if (result.status !== 0) throw new Error(result.stderr.toString());
  return result.stdout.toString().split('\n');
}

function sampleValues(): Float32Array {
  const next = seededRandom(1997);
  const values: number[] = [
    0,
    1,
    0.5,
    0.25,
    1e-4,
    1e-5,
    1e16,
    1e-45,
    3000000.25,
    123456789,
    3.4028235e38,
    2 ** -126,
  ];
  // softmax pairs as the classifier produces them
  for (let i = 0; i < 20000; i++) {
    const logit = (next() - 0.5) * 40;
    const p = 1 / (1 + Math.exp(-logit));
    values.push(p, 1 - p);
  }
  // tiny and huge magnitudes, and every binade boundary (powers of two have a narrower gap below)
  for (let i = 0; i < 20000; i++) values.push(Math.pow(10, next() * 80 - 45));
  for (let e = -149; e <= 127; e++) values.push(2 ** e);
  // arbitrary bit patterns (finite ones)
  const bits = new Uint32Array(1);
  const asFloat = new Float32Array(bits.buffer);
  for (let i = 0; i < 20000; i++) {
    bits[0] = Math.floor(next() * 0x7f800000);
    values.push(asFloat[0], -asFloat[0]);
  }
  return Float32Array.from(values);
}

describe('formatFloat32 against numpy str(np.float32)', () => {
  it('prints every sampled value exactly as numpy does', () => {
    const values = sampleValues();
    const expected = numpyStrings(new Uint32Array(values.buffer));
    const mismatches: string[] = [];
    values.forEach((value, i) => {
      const got = formatFloat32(value);
      if (got !== expected[i]) mismatches.push(`${value}: got ${got}, numpy ${expected[i]}`);
    });
    expect(mismatches.slice(0, 20)).toEqual([]);
  });
});

describe('formatFloat32', () => {
  it.each([
    [0.12100612, '0.12100612'],
    [0.9988405, '0.9988405'],
    [1e-5, '1e-05'],
    [1.2345e-5, '1.2345e-05'],
    [1, '1.0'],
    [0, '0.0'],
    [1e-4, '1e-04'],
    [3000000.25, '3000000.2'],
    [NaN, 'nan'],
    [Infinity, 'inf'],
  ])('%p -> %p', (value, text) => {
    expect(formatFloat32(value)).toBe(text);
  });
});
