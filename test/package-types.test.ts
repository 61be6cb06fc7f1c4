import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// The public types as an installed package gives them: the consumer of scripts/package-check compiled
// strictly (skipLibCheck off) against the built declarations, in a project that has @types/node (a
// dependency of the package) and nothing else, so a type leaking from zod or any other internal
// dependency fails the compile.

const root = path.resolve(__dirname, '..');

it('a strict TypeScript consumer of predict() and readRecordCalls() compiles against the built package', () => {
  const project = mkdtempSync(path.join(os.tmpdir(), 'virnucpro-consumer-'));
  try {
    const installed = path.join(project, 'node_modules', 'virnucpro');
    mkdirSync(installed, { recursive: true });
    copyFileSync(path.join(root, 'package.json'), path.join(installed, 'package.json'));
    for (const folder of ['dist', 'esm', 'binding']) {
      symlinkSync(path.join(root, folder), path.join(installed, folder));
    }
    mkdirSync(path.join(project, 'node_modules', '@types'), { recursive: true });
    // @types/node and its own dependency
    for (const name of ['@types/node', 'undici-types']) {
      symlinkSync(path.join(root, 'node_modules', name), path.join(project, 'node_modules', name));
    }
    for (const extension of ['cts', 'mts']) {
      copyFileSync(
        path.join(root, 'scripts', 'package-check', 'consumer.ts'),
        path.join(project, `consumer.${extension}`),
      );
    }
    writeFileSync(
      path.join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          skipLibCheck: false,
          noEmit: true,
          preserveSymlinks: true,
        },
        files: ['consumer.cts', 'consumer.mts'],
      }),
    );
    execFileSync(
      process.execPath,
      [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project],
      {
        stdio: 'pipe',
      },
    );
  } catch (error) {
    throw new Error(String((error as { stdout?: Buffer }).stdout ?? error));
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
});
