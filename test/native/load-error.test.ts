import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { findLibtorch, libtorchVersion, sameRelease } from '../../binding/libtorch';
import { failureKind, loadErrorMessage, type BuildRecord, type LoadFacts } from '../../binding/load-error';
import { packageRoot } from '../../src/native';

// The loader's message is composed from gathered facts; each case injects the facts of one failure and
// checks that the message lists what was tried and only the fixes for that failure.

const REBUILD = 'npm rebuild virnucpro';
const CPU_RECORD: BuildRecord = {
  torchVersion: '1.13.0',
  variant: 'cpu',
  cudaVersion: null,
  needed: ['libtorch_cpu.so.1.13', 'libc10.so.1.13', 'libtorch.so.1.13', 'libc.so.6'],
  runpath: ['$ORIGIN', '/opt/torch/lib'],
};
const BINARY = '/pkg/prebuilds/linux-x64/virnucpro.napi.node';
const nodeGypBuild = createRequire(__filename)('node-gyp-build') as { resolve(root: string): string };
const SHIPPED = { platform: 'linux-x64', prebuilt: ['linux-x64'] };

let scratch: string;
beforeEach(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'virnucpro-load-'));
});
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

function touch(file: string, text = ''): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

test('no binary for the platform (install scripts skipped): npm rebuild, nothing about libtorch versions', () => {
  const facts: LoadFacts = {
    platform: 'linux-arm64',
    prebuilt: ['linux-x64'],
    binary: null,
    resolveError:
      'No native build was found for platform=linux arch=arm64 runtime=node\n    loaded from: /pkg\n',
  };
  const message = loadErrorMessage(facts);
  expect(failureKind(facts)).toBe('no-binary');
  expect(message).toContain('could not load the native addon on linux-arm64');
  expect(message).toContain('a prebuilt binary: only for linux-x64');
  expect(message).toContain('No native build was found for platform=linux arch=arm64');
  expect(message).toContain(REBUILD);
  expect(message).toContain('--ignore-scripts');
  expect(message).not.toContain('LD_LIBRARY_PATH');
  expect(message).not.toContain('listed above');
});

test('libtorch of another release found: names both versions, install the right one or rebuild', () => {
  const facts: LoadFacts = {
    ...SHIPPED,
    binary: BINARY,
    record: CPU_RECORD,
    libtorch: {
      name: 'libtorch.so.1.13',
      path: '/opt/torch/lib/libtorch.so.1.13',
      via: 'run path',
      version: '2.1.0+cpu',
      tried: ['/pkg/prebuilds/linux-x64 (run path)', '/opt/torch/lib (run path)'],
    },
  };
  const message = loadErrorMessage(facts);
  expect(failureKind(facts)).toBe('version-mismatch');
  expect(message).toContain(`binary: ${BINARY} (built against libtorch 1.13.0, cpu)`);
  expect(message).toContain('found /opt/torch/lib/libtorch.so.1.13 via run path, libtorch 2.1.0+cpu');
  expect(message).toContain('this binary needs libtorch 1.13 but found 2.1.0+cpu');
  expect(message).toContain('apt-get install libtorch1.13');
  expect(message).toContain(REBUILD);
  expect(message).not.toContain('CUDA');
});

test('no libtorch anywhere: lists every folder searched, from a real search of an empty tree', () => {
  const binaryDir = path.join(scratch, 'prebuilds', 'linux-x64');
  const record = { ...CPU_RECORD, runpath: ['$ORIGIN', path.join(scratch, 'torch', 'lib')] };
  const libtorch = findLibtorch(record, binaryDir, { LD_LIBRARY_PATH: path.join(scratch, 'ld') }, () => '');
  expect(libtorch.path).toBeNull();
  const facts: LoadFacts = {
    ...SHIPPED,
    binary: path.join(binaryDir, 'virnucpro.napi.node'),
    record,
    libtorch,
    loadError: 'libtorch_cpu.so.1.13: cannot open shared object file: No such file or directory',
  };
  const message = loadErrorMessage(facts);
  expect(failureKind(facts)).toBe('no-libtorch');
  expect(message).toContain(
    `libtorch.so.1.13: not found in ${path.join(scratch, 'ld')} (LD_LIBRARY_PATH), ${binaryDir} (run path), ` +
      `${path.join(scratch, 'torch', 'lib')} (run path), the ld.so cache, /lib64, /usr/lib64, /lib, /usr/lib`,
  );
  expect(message).toContain('install libtorch 1.13');
  expect(message).toContain(REBUILD);
  expect(message).not.toContain('but found');
});

test('missing CUDA runtime library: the CUDA fix and the CPU rebuild, not a libtorch install', () => {
  const facts: LoadFacts = {
    ...SHIPPED,
    binary: BINARY,
    record: { ...CPU_RECORD, variant: 'cuda', cudaVersion: '12.1', torchVersion: '2.1.0' },
    libtorch: {
      name: 'libtorch.so',
      path: '/opt/torch/lib/libtorch.so',
      via: 'run path',
      version: '2.1.0',
      tried: [],
    },
    loadError: 'libcudart.so.12: cannot open shared object file: No such file or directory',
  };
  const message = loadErrorMessage(facts);
  expect(failureKind(facts)).toBe('missing-cuda');
  expect(message).toContain(
    'install the CUDA 12.1 runtime libraries this CUDA libtorch needs (libcudart.so.12 is missing)',
  );
  expect(message).toContain('build against a CPU libtorch');
  expect(message).not.toContain('apt-get install libtorch');
});

test('libtorch versions read from an official archive, a PyTorch wheel and a Debian soname', () => {
  const archive = touch(path.join(scratch, 'libtorch', 'lib', 'libtorch.so'));
  touch(path.join(scratch, 'libtorch', 'build-version'), '2.1.0+cpu\n');
  const wheel = touch(path.join(scratch, 'torch', 'lib', 'libtorch.so'));
  touch(path.join(scratch, 'torch', 'version.py'), "__version__ = '2.3.1+cu121'\ngit_version = 'x'\n");
  const debian = touch(path.join(scratch, 'debian', 'libtorch.so.1.13.0'));
  symlinkSync(debian, path.join(scratch, 'debian', 'libtorch.so.1.13'));
  expect(libtorchVersion(archive)).toBe('2.1.0+cpu');
  expect(libtorchVersion(wheel)).toBe('2.3.1+cu121');
  expect(libtorchVersion(path.join(scratch, 'debian', 'libtorch.so.1.13'))).toBe('1.13.0');
  expect(sameRelease('1.13.0', '1.13.1+dfsg')).toBe(true);
  expect(sameRelease('2.1.0+cpu', '2.10.0')).toBe(false);
});

test('LD_LIBRARY_PATH comes before the run path, as for ld.so', () => {
  const first = touch(path.join(scratch, 'first', 'libtorch.so.1.13'));
  touch(path.join(scratch, 'second', 'libtorch.so.1.13'));
  const record = { ...CPU_RECORD, runpath: [path.join(scratch, 'second')] };
  const found = findLibtorch(record, scratch, { LD_LIBRARY_PATH: path.dirname(first) }, () => '');
  expect(found).toMatchObject({ path: first, via: 'LD_LIBRARY_PATH' });
});

// A copy of the package (binding/ and the built addon) whose record is edited, loaded in a child process.
function loadCopy(edit: (pkg: string) => void): { status: number | null; stderr: string } {
  const root = packageRoot();
  const pkg = path.join(scratch, 'virnucpro');
  cpSync(path.join(root, 'binding'), path.join(pkg, 'binding'), { recursive: true });
  touch(path.join(pkg, 'package.json'), JSON.stringify({ name: 'virnucpro' }));
  edit(pkg);
  const child = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(path.join(pkg, 'binding'))})`], {
    encoding: 'utf8',
    env: { ...process.env, NODE_PATH: path.join(root, 'node_modules') },
  });
  return { status: child.status, stderr: child.stderr };
}

test('a binary recorded for another libtorch release is refused before dlopen with the fix', () => {
  // the binary this checkout loads: build/Release, or prebuilds/ after npm pack moved it there
  const binary = nodeGypBuild.resolve(packageRoot());
  const { status, stderr } = loadCopy((pkg) => {
    const release = path.join(pkg, 'build', 'Release');
    mkdirSync(release, { recursive: true });
    symlinkSync(binary, path.join(release, 'virnucpro_native.node'));
    const record = JSON.parse(readFileSync(path.join(path.dirname(binary), 'libtorch.json'), 'utf8'));
    // the record claims 2.1 while the run path still finds this machine's libtorch (1.13)
    writeFileSync(path.join(release, 'libtorch.json'), JSON.stringify({ ...record, torchVersion: '2.1.0' }));
  });
  expect(status).not.toBe(0);
  expect(stderr).toContain("code: 'ERR_ADDON_LOAD'");
  expect(stderr).toMatch(/this binary needs libtorch 2\.1 but found 1\.13/);
});

test('a package without any binary says npm rebuild virnucpro', () => {
  const { status, stderr } = loadCopy(() => undefined);
  expect(status).not.toBe(0);
  expect(stderr).toContain('a prebuilt binary: none shipped');
  expect(stderr).toContain(REBUILD);
});
