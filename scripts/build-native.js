#!/usr/bin/env node
// Builds the addon (and the virnucpro-run executable) with cmake-js. libtorch discovery itself lives in
// CMakeLists.txt, so that the same rules hold for a plain cmake build on a machine without Node.
// `npm run prebuilds` also runs it in node-gyp's place (prebuildify --node-gyp): node-gyp's arguments
// are ignored, and prebuildify takes the result from build/Release.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
const jobs = String(Math.max(1, require('node:os').availableParallelism?.() ?? 2));
const result = spawnSync(process.execPath, [cmakeJs, 'compile', '--parallel', jobs], {
  cwd: root,
  stdio: 'inherit',
});
if (result.status !== 0) {
  console.error(
    '\nvirnucpro: the native build failed. If libtorch was not found, see the three ways listed above,\n' +
      "or run 'bash scripts/setup.sh' on Debian/Ubuntu as root.",
  );
  process.exit(result.status ?? 1);
}
