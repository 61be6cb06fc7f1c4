import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../../io/atomic-write';
import { packageRoot } from '../../native';

// `virnucpro workflow init DIR`: a copy of the Snakemake workflow shipped in the package (Snakefile,
// config.yaml, profiles/) to edit and run; docs/scale-out.md says how.

async function workflowFiles(dir: string, prefix = ''): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const relative = path.join(prefix, entry.name);
    if (entry.isDirectory()) files.push(...(await workflowFiles(path.join(dir, entry.name), relative)));
    else files.push(relative);
  }
  return files.sort();
}

export async function initWorkflow(target: string, force: boolean): Promise<string[]> {
  const source = path.join(packageRoot(), 'workflow');
  const files = await workflowFiles(source);
  const existing = files.filter((file) => existsSync(path.join(target, file)));
  if (existing.length > 0 && !force) {
    throw new Error(`${target} already has ${existing.join(', ')}; use --force to overwrite`);
  }
  for (const file of files) {
    await mkdir(path.dirname(path.join(target, file)), { recursive: true });
    await writeFileAtomic(path.join(target, file), await readFile(path.join(source, file)));
    // the profile's status script runs as a command
    await chmod(path.join(target, file), (await stat(path.join(source, file))).mode & 0o777);
  }
  return files;
}

export function registerWorkflowCommand(program: Command): void {
  const workflow = program.command('workflow').description('the Snakemake workflow for many GPUs and nodes');
  workflow
    .command('init')
    .description('copy the Snakemake workflow (Snakefile, config.yaml, Slurm profile) into a folder to edit')
    .argument('<dir>', 'folder to copy into (created when missing)')
    .option('--force', 'overwrite files of an earlier copy')
    .action(async (dir: string, o) => {
      const files = await initWorkflow(dir, Boolean(o.force));
      process.stderr.write(
        `${files.map((file) => path.join(dir, file)).join('\n')}\n` +
          `edit ${path.join(dir, 'config.yaml')}, then: snakemake -s ${path.join(dir, 'Snakefile')} --cores 8\n`,
      );
    });
}
