import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { NativeAddon } from '../binding';

/** The package root, found from this file whether it runs from src/ (tests) or dist/src/ (built). */
export function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'virnucpro') return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`virnucpro: package root not found above ${__dirname}`);
    dir = parent;
  }
}

/** The package's version (part of every fingerprint: another version may compute other numbers). */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string })
    .version;
}

let addon: NativeAddon | undefined;

/** The native addon, loaded once per process on first use. */
export function native(): NativeAddon {
  // a computed path: the package root differs between src/ (tests) and dist/src/ (built)
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  addon ??= require(path.join(packageRoot(), 'binding')) as NativeAddon;
  return addon;
}
