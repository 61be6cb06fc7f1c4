// Types of binding/load-error.js and the facts binding/index.js gathers for it.

/** libtorch.json, written beside the binary when it is built. */
export interface BuildRecord {
  torchVersion: string;
  variant: 'cpu' | 'cuda';
  cudaVersion: string | null;
  /** the binary's DT_NEEDED entries */
  needed: string[];
  /** the binary's DT_RUNPATH folders, $ORIGIN unexpanded */
  runpath: string[];
}

export interface LibtorchLocation {
  /** the file name looked for, e.g. libtorch.so.1.13 */
  name: string;
  path: string | null;
  via: string | null;
  version: string | null;
  tried: string[];
}

export interface LoadFacts {
  /** e.g. linux-x64 */
  platform: string;
  /** prebuilds/ folders shipped, e.g. ['linux-x64'] */
  prebuilt: string[];
  /** the binary node-gyp-build chose; null when there is none for this platform */
  binary: string | null;
  resolveError?: string;
  record?: BuildRecord | null;
  libtorch?: LibtorchLocation;
  /** dlopen's error message */
  loadError?: string;
}

export type FailureKind = 'no-binary' | 'version-mismatch' | 'missing-cuda' | 'no-libtorch' | 'abi' | 'other';

export function failureKind(facts: LoadFacts): FailureKind;
export function loadErrorMessage(facts: LoadFacts): string;
