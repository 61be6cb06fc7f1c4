import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { native, packageRoot } from '../../src/native';

// Runs the built CLI (npm run build:ts writes dist/).
const CLI = path.join(packageRoot(), 'dist', 'src', 'cli', 'main.js');

test('virnucpro devices --json prints the build and device info of a CPU build', () => {
  const info = JSON.parse(execFileSync(process.execPath, [CLI, 'devices', '--json'], { encoding: 'utf8' }));
  expect(info).toMatchObject({ variant: 'cpu', cudaVersion: null, cudaDeviceCount: 0, devices: [] });
  expect(info.torchVersion).toMatch(/^\d+\.\d+\.\d+/);
  // the allocator setting in force, and why expandable segments are off when they are (alloc-conf.test.ts)
  const rule = native().allocConfFor(info.torchVersion, process.env.PYTORCH_CUDA_ALLOC_CONF ?? null);
  expect({ value: info.allocConf, note: info.allocConfNote }).toEqual(rule);
  const flags = /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1].split(/\s+/) ?? [];
  expect(info.cpuBf16.native).toBe(flags.includes('avx512_bf16') || flags.includes('amx_bf16'));
});

test('virnucpro devices prints plain text naming the torch version and variant', () => {
  const text = execFileSync(process.execPath, [CLI, 'devices'], { encoding: 'utf8' });
  expect(text).toMatch(/torch\s+\d+\.\d+/);
  expect(text).toMatch(/variant\s+cpu/);
  expect(text).toMatch(/cpu bf16\s+(native|emulated|unknown)/);
});
