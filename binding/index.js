'use strict';
// Loads the addon with node-gyp-build: a local build/Release first, else prebuilds/<platform>-<arch>/.
const path = require('node:path');

const root = path.join(__dirname, '..');
let addon;
try {
  addon = require('node-gyp-build')(root);
} catch (cause) {
  const message = [
    `virnucpro: could not load the native addon (${cause && cause.message ? cause.message.split('\n')[0] : cause}).`,
    'Possible fixes:',
    '  - build it: bash scripts/setup.sh (Debian/Ubuntu, as root) or npm run build:native',
    '  - libtorch not found at run time: install the libtorch it was built against (Debian: libtorch-dev),',
    '    or put its lib/ folder on LD_LIBRARY_PATH',
    '  - a prebuilt binary for another libtorch version: rebuild with npm run build:native',
  ].join('\n');
  const error = new Error(message, { cause });
  error.code = 'ERR_ADDON_LOAD';
  throw error;
}
module.exports = addon;
