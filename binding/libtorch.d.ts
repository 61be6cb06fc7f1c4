// Types of binding/libtorch.js.
import type { BuildRecord, LibtorchLocation } from './load-error';

export function readBuildRecord(binaryDir: string): BuildRecord | null;
export function findLibtorch(
  record: BuildRecord,
  binaryDir: string,
  env?: NodeJS.ProcessEnv,
  ldconfig?: () => string,
): LibtorchLocation;
export function libtorchVersion(file: string): string | null;
export function sameRelease(a: string, b: string): boolean;
