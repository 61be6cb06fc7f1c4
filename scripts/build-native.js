#!/usr/bin/env node
// Builds the addon (and the virnucpro-run executable) with cmake-js. libtorch discovery itself lives in
// CMakeLists.txt, so that the same rules hold for a plain cmake build on a machine without Node.
// `npm run prebuilds` also runs it in node-gyp's place (prebuildify --node-gyp): node-gyp's arguments
// are ignored, the build is incremental, and prebuildify takes the result from build/Release.
// Beside the binary it writes libtorch.json (the libtorch version, variant and the libraries the binary
// needs) that binding/index.js checks before loading it.
'use strict';
const { spawnSync } = require('node:child_process');
const { mkdirSync, readdirSync, renameSync, writeFileSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const release = path.join(root, 'build', 'Release');

function onPath(tool) {
  return (process.env.PATH || '')
    .split(path.delimiter)
    .some((dir) => dir && spawnSync('test', ['-x', path.join(dir, tool)]).status === 0);
}

function buildFailed(status) {
  const missing = ['cmake', 'c++'].filter((tool) => !onPath(tool));
  console.error(
    [
      '',
      'virnucpro: the native build failed.' + (missing.length ? ` Not on PATH: ${missing.join(', ')}.` : ''),
      'It needs a C++17 compiler, cmake 3.18+ and libtorch, given one of three ways:',
      '  1. LIBTORCH=/path/to/libtorch (an unpacked libtorch folder, CPU or CUDA)',
      '  2. VIRNUCPRO_USE_PYTORCH=1 to use the libtorch inside an installed PyTorch',
      "  3. the system libtorch: on Debian/Ubuntu 'apt-get install libtorch-dev cmake g++ nlohmann-json3-dev'",
      'then run the build again (npm rebuild virnucpro).',
    ].join('\n'),
  );
  process.exit(status ?? 1);
}

/** DT_NEEDED and DT_RUNPATH of the built binary, from objdump (binutils comes with the compiler). */
function dynamicSection(binary) {
  const result = spawnSync('objdump', ['-p', binary], { encoding: 'utf8' });
  const entries = (tag) =>
    [...(result.stdout || '').matchAll(new RegExp(`^\\s*${tag}\\s+(\\S+)$`, 'gm'))].map((match) => match[1]);
  return { needed: entries('NEEDED'), runpath: entries('R(?:UN)?PATH').flatMap((value) => value.split(':')) };
}

/** The build's own account of the libtorch it was compiled against, asked in a child process. */
function buildInfo(binary) {
  const script = `const b = require(${JSON.stringify(binary)}).buildInfo();
process.stdout.write(JSON.stringify({ torchVersion: b.torchVersion, variant: b.variant, cudaVersion: b.cudaVersion }));`;
  const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  if (result.status !== 0) {
    console.error(`virnucpro: the built addon does not load:\n${result.stderr}`);
    process.exit(1);
  }
  return JSON.parse(result.stdout);
}

function writeRecord() {
  const binary = path.join(
    release,
    readdirSync(release).find((name) => name.endsWith('.node')),
  );
  const record = JSON.stringify({ ...buildInfo(binary), ...dynamicSection(binary) }, null, 2) + '\n';
  const folders = [release];
  // under prebuildify, the record goes beside the prebuild it is about to take from build/Release
  if (process.env.PREBUILD_PLATFORM && process.env.PREBUILD_ARCH) {
    folders.push(
      path.join(root, 'prebuilds', `${process.env.PREBUILD_PLATFORM}-${process.env.PREBUILD_ARCH}`),
    );
  }
  for (const folder of folders) {
    mkdirSync(folder, { recursive: true });
    // temporary file renamed into place (src/io/atomic-write is not compiled yet when this runs at install)
    const temporary = path.join(folder, `.libtorch.json.${process.pid}.tmp`);
    writeFileSync(temporary, record);
    renameSync(temporary, path.join(folder, 'libtorch.json'));
  }
}

const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
const jobs = String(Math.max(1, os.availableParallelism?.() ?? 2));
const result = spawnSync(process.execPath, [cmakeJs, 'compile', '--parallel', jobs], {
  cwd: root,
  stdio: 'inherit',
});
if (result.status !== 0) buildFailed(result.status);
writeRecord();
