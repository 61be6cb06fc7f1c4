'use strict';
// Loads the addon: node-gyp-build picks a local build/Release first, else prebuilds/<platform>-<arch>/.
// The libtorch the binary was built against (libtorch.json beside it) is checked against the one the
// loader would find before dlopen; any failure is one message with what was tried and the fixes.
const { readdirSync } = require('node:fs');
const path = require('node:path');
const nodeGypBuild = require('node-gyp-build');
const { findLibtorch, readBuildRecord, sameRelease } = require('./libtorch');
const { loadErrorMessage } = require('./load-error');

const root = path.join(__dirname, '..');

function loadFailure(facts, cause) {
  const error = new Error(loadErrorMessage(facts), cause ? { cause } : undefined);
  error.code = 'ERR_ADDON_LOAD';
  return error;
}

function prebuiltPlatforms() {
  try {
    return readdirSync(path.join(root, 'prebuilds'));
  } catch {
    return [];
  }
}

function load() {
  const facts = { platform: `${process.platform}-${process.arch}`, prebuilt: prebuiltPlatforms() };
  try {
    facts.binary = nodeGypBuild.resolve(root);
  } catch (cause) {
    throw loadFailure({ ...facts, binary: null, resolveError: cause.message }, cause);
  }
  const binaryDir = path.dirname(facts.binary);
  facts.record = readBuildRecord(binaryDir);
  if (facts.record) {
    facts.libtorch = findLibtorch(facts.record, binaryDir);
    const { version } = facts.libtorch;
    if (version && !sameRelease(version, facts.record.torchVersion)) throw loadFailure(facts);
  }
  try {
    return require(facts.binary);
  } catch (cause) {
    throw loadFailure({ ...facts, loadError: cause.message }, cause);
  }
}

module.exports = load();
