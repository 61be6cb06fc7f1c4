'use strict';
// Finds the libtorch that the dynamic loader would give the addon, and its version, without loading it:
// the same search order as ld.so (LD_LIBRARY_PATH, the binary's RUNPATH, the ld.so cache, the default
// folders), so that a version mismatch is reported before dlopen instead of as an undefined symbol.
const { spawnSync } = require('node:child_process');
const { existsSync, readFileSync, realpathSync } = require('node:fs');
const path = require('node:path');

/** The build record written beside the binary by scripts/build-native.js, or null when there is none. */
function readBuildRecord(binaryDir) {
  const file = path.join(binaryDir, 'libtorch.json');
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null;
}

/** The libtorch file name the binary asks the loader for (its DT_NEEDED entry). */
function neededLibtorch(record) {
  return (record.needed || []).find((name) => /^libtorch\.so/.test(name)) || 'libtorch.so';
}

function ldconfigCache() {
  for (const ldconfig of ['/sbin/ldconfig', '/usr/sbin/ldconfig', 'ldconfig']) {
    const result = spawnSync(ldconfig, ['-p'], { encoding: 'utf8' });
    if (result.status === 0) return result.stdout;
  }
  return '';
}

/** Folders in ld.so's order, each with how it got there. */
function searchPlaces(record, binaryDir, env) {
  const places = [];
  for (const dir of (env.LD_LIBRARY_PATH || '').split(':').filter(Boolean)) {
    places.push({ dir, via: 'LD_LIBRARY_PATH' });
  }
  for (const dir of record.runpath || []) {
    places.push({ dir: dir.replace(/\$ORIGIN|\$\{ORIGIN\}/g, binaryDir), via: 'run path' });
  }
  return places;
}

/** A libtorch's version from what sits beside it (official zip, PyTorch wheel, headers, soname). */
function libtorchVersion(file) {
  const real = realpathSync(file);
  const libDir = path.dirname(real);
  const root = path.dirname(libDir);
  const buildVersion = path.join(root, 'build-version');
  if (existsSync(buildVersion)) return readFileSync(buildVersion, 'utf8').trim();
  const versionPy = path.join(root, 'version.py');
  if (existsSync(versionPy)) {
    const match = /__version__\s*=\s*['"]([^'"]+)['"]/.exec(readFileSync(versionPy, 'utf8'));
    if (match) return match[1];
  }
  const header = path.join(root, 'include', 'torch', 'csrc', 'api', 'include', 'torch', 'version.h');
  if (existsSync(header)) {
    const text = readFileSync(header, 'utf8');
    const part = (name) => (new RegExp(`#define TORCH_VERSION_${name} (\\d+)`).exec(text) || [])[1];
    if (part('MAJOR') && part('MINOR')) return [part('MAJOR'), part('MINOR'), part('PATCH') || '0'].join('.');
  }
  const soname = /\.so\.(\d+\.\d+(?:\.\d+)?)$/.exec(real);
  return soname ? soname[1] : null;
}

/**
 * Where the loader would find the binary's libtorch: { name, path, via, version, tried }, path null
 * when none of the places has it. `ldconfig` returns `ldconfig -p` output (injectable for tests).
 */
function findLibtorch(record, binaryDir, env = process.env, ldconfig = ldconfigCache) {
  const name = neededLibtorch(record);
  const tried = [];
  const hit = (file, via) => ({ name, path: file, via, version: libtorchVersion(file), tried });
  for (const place of searchPlaces(record, binaryDir, env)) {
    tried.push(`${place.dir} (${place.via})`);
    const file = path.join(place.dir, name);
    if (existsSync(file)) return hit(file, place.via);
  }
  tried.push('the ld.so cache');
  const cached = new RegExp(`^\\s*${name.replace(/\./g, '\\.')} \\(.*\\) => (.+)$`, 'm').exec(ldconfig());
  if (cached && existsSync(cached[1])) return hit(cached[1], 'ld.so cache');
  for (const dir of ['/lib64', '/usr/lib64', '/lib', '/usr/lib']) {
    tried.push(dir);
    const file = path.join(dir, name);
    if (existsSync(file)) return hit(file, 'default folder');
  }
  return { name, path: null, via: null, version: null, tried };
}

/** Same major.minor: libtorch's C++ ABI changes between minor releases, not between patch releases. */
function sameRelease(a, b) {
  const release = (version) => version.split(/[.+]/).slice(0, 2).join('.');
  return release(a) === release(b);
}

module.exports = { readBuildRecord, findLibtorch, libtorchVersion, sameRelease };
