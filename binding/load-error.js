'use strict';
// The one message a failed addon load gives: what was tried, then only the fixes that apply to how it
// failed. Pure: binding/index.js gathers the facts, tests inject them.
const { sameRelease } = require('./libtorch');

const CUDA_LIBRARY =
  /\b(lib(?:cudart|cublas|cublasLt|cudnn\w*|cufft|curand|cusparse|cusolver|nvrtc|nvToolsExt|nccl|nvJitLink|cupti|cuda)\.so[.\d]*)/;
const TORCH_LIBRARY = /\b(lib(?:torch\w*|c10\w*)\.so[.\d]*): cannot open shared object file/;

const REBUILD =
  '`npm rebuild virnucpro` compiles the addon against the libtorch it finds (needs a C++17 compiler and ' +
  'cmake 3.18+; choose the libtorch with LIBTORCH=/path/to/libtorch, or VIRNUCPRO_USE_PYTORCH=1 for the ' +
  "one inside an installed PyTorch, or Debian/Ubuntu's libtorch-dev)";

function release(version) {
  return version.split(/[.+]/).slice(0, 2).join('.');
}

function installLibtorch(version) {
  const v = release(version);
  return (
    `install libtorch ${v} (Debian/Ubuntu: apt-get install libtorch${v}; elsewhere unpack the libtorch ${v} ` +
    'archive from pytorch.org) and, if it is not in a system folder, put its lib/ folder on LD_LIBRARY_PATH'
  );
}

function firstLine(text) {
  return String(text).split('\n')[0];
}

/** What went wrong, from the gathered facts: one of the cases the fixes are written for. */
function failureKind({ binary, libtorch, record, loadError }) {
  if (!binary) return 'no-binary';
  if (
    record &&
    libtorch &&
    libtorch.path &&
    libtorch.version &&
    !sameRelease(libtorch.version, record.torchVersion)
  ) {
    return 'version-mismatch';
  }
  if (loadError && CUDA_LIBRARY.test(loadError) && /cannot open shared object file/.test(loadError)) {
    return 'missing-cuda';
  }
  if ((record && libtorch && !libtorch.path) || (loadError && TORCH_LIBRARY.test(loadError)))
    return 'no-libtorch';
  if (loadError && /undefined symbol/.test(loadError)) return 'abi';
  return 'other';
}

function triedLines({ binary, resolveError, prebuilt, record, libtorch, loadError }) {
  const lines = [];
  if (!binary) {
    lines.push(`a local build in build/Release: none`);
    lines.push(`a prebuilt binary: ${prebuilt.length ? `only for ${prebuilt.join(', ')}` : 'none shipped'}`);
    if (resolveError) lines.push(firstLine(resolveError));
    return lines;
  }
  const built = record ? ` (built against libtorch ${record.torchVersion}, ${record.variant})` : '';
  lines.push(`binary: ${binary}${built}`);
  if (libtorch) {
    const found = libtorch.path
      ? `found ${libtorch.path} via ${libtorch.via}` +
        (libtorch.version ? `, libtorch ${libtorch.version}` : ', version unknown')
      : `not found in ${libtorch.tried.join(', ')}`;
    lines.push(`${libtorch.name}: ${found}`);
  }
  if (loadError) lines.push(`loading it: ${firstLine(loadError)}`);
  return lines;
}

function fixLines(kind, { platform, record, libtorch, loadError }) {
  const wanted = record ? record.torchVersion : null;
  switch (kind) {
    case 'no-binary':
      return [
        `no binary for ${platform} was shipped or built (the install scripts were skipped, ` +
          'e.g. --ignore-scripts, or the build failed): run ' +
          REBUILD,
      ];
    case 'version-mismatch':
      return [
        `this binary needs libtorch ${release(wanted)} but found ${libtorch.version}: ${installLibtorch(wanted)}`,
        `or build against the libtorch you have: ${REBUILD}`,
      ];
    case 'no-libtorch':
      return [
        wanted
          ? installLibtorch(wanted)
          : 'put the lib/ folder of the libtorch it was built with on LD_LIBRARY_PATH',
        `or build against a libtorch you have: ${REBUILD}`,
      ];
    case 'missing-cuda': {
      const library = CUDA_LIBRARY.exec(loadError)[1];
      const cuda = record && record.cudaVersion ? ` ${record.cudaVersion}` : '';
      return [
        `install the CUDA${cuda} runtime libraries this CUDA libtorch needs (${library} is missing) or put ` +
          'their folder on LD_LIBRARY_PATH',
        `or, without a GPU, build against a CPU libtorch: ${REBUILD}`,
      ];
    }
    case 'abi':
      return [`the binary and the libtorch found do not match: ${REBUILD}`];
    default:
      return [REBUILD];
  }
}

/** The whole message; `facts` as gathered by binding/index.js. */
function loadErrorMessage(facts) {
  const kind = failureKind(facts);
  return [
    `virnucpro: could not load the native addon on ${facts.platform}.`,
    'Tried:',
    ...triedLines(facts).map((line) => `  - ${line}`),
    'Fix:',
    ...fixLines(kind, facts).map((line) => `  - ${line}`),
  ].join('\n');
}

module.exports = { loadErrorMessage, failureKind };
