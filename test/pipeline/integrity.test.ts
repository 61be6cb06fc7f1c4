import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isTemporaryName } from '../../src/io/atomic-write';
import { LOCK_FILE } from '../../src/pipeline/run-folder';
import { exportTinyModels, runCli, runCliWithin, type CliResult } from '../embed/helpers';
import { describeOnTmpfs, filesUnder, smallDisk } from '../io/full-disk';

// `virnucpro predict` as a user meets it when things are not as expected, through the CLI on the tiny
// models: --force deletes only what an earlier run recorded, a folder in use is refused, --resume is
// held to the inputs, models and options of the run it continues, and everything cheap (devices, model
// files, paths) is checked before anything is created. After every refusal the folder is as it was.

// what a CLI run leaves besides run.json
const FINAL = [
  'prediction_results.txt',
  'prediction_results_highestscore.csv',
  'prediction_summary.tsv',
  'prediction_plot.svg',
  'viral_hits.fa',
  'virnucpro.log',
  'report.html',
  'virnucpro_mqc.tsv',
  'virnucpro_calls_mqc.tsv',
];

let dir: string;
let models: string;
let otherModels: string;
let input: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'virnucpro-integrity-'));
  models = exportTinyModels().dir;
  otherModels = exportTinyModels(1).dir;
  input = path.join(dir, 'reads.fa');
  copyFileSync(path.join(__dirname, '..', '..', 'examples', 'demo.fa'), input);
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** predict on `inputs` into `out` with the tiny models (or `--models` in `extra`), small shards. */
function predict(
  out: string,
  extra: string[] = [],
  options: { inputs?: string[]; onStderr?: (text: string) => void } = {},
): Promise<CliResult> {
  const args = extra.includes('--models') ? extra : ['--models', models, ...extra];
  return runCli(
    [
      'predict',
      ...(options.inputs ?? [input]),
      '-o',
      out,
      '--shard-size',
      '4',
      '--no-progress',
      '--lock-wait',
      '0',
      ...args,
    ],
    { onStderr: options.onStderr },
  );
}

/** Starts predict and sends `signal` to it when its log first matches `when`. */
function stoppedRun(out: string, when: RegExp, signal: NodeJS.Signals): Promise<CliResult> {
  let pid = 0;
  let log = '';
  let sent = false;
  return runCli(['predict', input, '-o', out, '--models', models, '--shard-size', '4', '--no-progress'], {
    onStart: (started) => (pid = started),
    onStderr: (text) => {
      log += text;
      if (!sent && when.test(log)) {
        sent = true;
        process.kill(pid, signal);
      }
    },
  });
}

function temporariesUnder(folder: string): string[] {
  return [...filesUnder(folder).keys()].filter((name) => isTemporaryName(path.basename(name)));
}

describe('--force and the output folder', () => {
  it("deletes only what an earlier run recorded: the user's files and the run's input survive", async () => {
    const out = path.join(dir, 'forced');
    mkdirSync(path.join(out, 'embeddings'), { recursive: true });
    const inside = path.join(out, 'reads.fa');
    copyFileSync(input, inside);
    const user = { '.draft.tmp': 'a draft\n', 'embeddings/mine.bin': 'my vectors\n', 'reads.fa': null };
    writeFileSync(path.join(out, '.draft.tmp'), user['.draft.tmp']);
    writeFileSync(path.join(out, 'embeddings', 'mine.bin'), user['embeddings/mine.bin']);
    const expectUserFilesKept = () => {
      expect(readFileSync(path.join(out, '.draft.tmp'), 'utf8')).toBe(user['.draft.tmp']);
      expect(readFileSync(path.join(out, 'embeddings', 'mine.bin'), 'utf8')).toBe(
        user['embeddings/mine.bin'],
      );
      expect(readFileSync(inside)).toEqual(readFileSync(input));
    };

    const refused = await predict(out, ['--keep-intermediate'], { inputs: [inside] });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/already exists and is not empty; use --resume .* or --force/);

    // no earlier run: --force deletes nothing
    for (let run = 0; run < 2; run++) {
      const forced = await predict(out, ['--force', '--keep-intermediate'], { inputs: [inside] });
      expect(forced.code).toBe(0);
      expectUserFilesKept();
      for (const name of FINAL) expect(existsSync(path.join(out, name))).toBe(true);
      expect(existsSync(path.join(out, 'embeddings', 'esm2'))).toBe(true);
    }
    const record = JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8')) as { files: string[] };
    expect(record.files).not.toContain('embeddings');
    expect(record.files).not.toContain('reads.fa');
    expect(record.files.filter((name) => name.startsWith('embeddings/')).length).toBeGreaterThan(0);

    // without --keep-intermediate: the earlier run's intermediate files and embeddings go, nothing else
    const plain = await predict(out, ['--force'], { inputs: [inside] });
    expect(plain.code).toBe(0);
    expectUserFilesKept();
    expect([...filesUnder(out).keys()].sort()).toEqual(
      [...FINAL, 'run.json', '.draft.tmp', 'embeddings/mine.bin', 'reads.fa'].sort(),
    );
  }, 180_000);

  it('a second run into a folder in use exits 2 saying another run holds it', async () => {
    const out = path.join(dir, 'in-use');
    let second: Promise<CliResult> | null = null;
    const first = predict(out, [], {
      onStderr: (text) => {
        if (!second && /DNABERT-S: started/.test(text)) second = predict(out, ['--resume']);
      },
    });
    expect((await first).code).toBe(0);
    expect(second).not.toBeNull();
    const refused = await (second as unknown as Promise<CliResult>);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/another virnucpro run holds this folder \(pid \d+ on /);
    expect(existsSync(path.join(out, LOCK_FILE))).toBe(false);
  }, 120_000);

  it('refuses a lock held by a live process on this host and takes over one whose process is gone', async () => {
    const out = path.join(dir, 'locked');
    mkdirSync(out);
    const lock = path.join(out, LOCK_FILE);
    const held = JSON.stringify({ pid: process.pid, host: os.hostname(), started: new Date().toISOString() });
    writeFileSync(lock, held);
    const refused = await predict(out);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`another virnucpro run holds this folder (pid ${process.pid} on`);
    expect([...filesUnder(out)]).toEqual([[LOCK_FILE, Buffer.from(held)]]);

    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    writeFileSync(lock, JSON.stringify({ pid: gone, host: os.hostname() }));
    const taken = await predict(out);
    expect(taken.code).toBe(0);
    expect([...filesUnder(out).keys()].sort()).toEqual([...FINAL, 'run.json'].sort());
  }, 120_000);
});

describe('--resume reuses only what matches', () => {
  let out: string;
  let stopped: Map<string, Buffer>;

  beforeAll(async () => {
    out = path.join(dir, 'stopped');
    const run = await stoppedRun(out, /classify: started/, 'SIGTERM');
    expect(run.code).toBe(143);
    stopped = filesUnder(out);
    // the finished embeddings are on disk, made in fp32
    expect([...stopped.keys()].some((name) => name.startsWith('.virnucpro-work/esm2/'))).toBe(true);
  }, 120_000);

  const changes: [string, () => string[], RegExp][] = [
    ['dtype', () => ['--dtype', 'bf16'], /cannot resume: dtype differ/],
    ['shard size', () => ['--shard-size', '5'], /cannot resume: shardSize differ/],
    [
      'the models',
      () => ['--models', otherModels],
      /cannot resume: classifier model, dnabert-s model, esm2 model differ/,
    ],
    ['chunk size', () => ['--chunk-size', '500'], /chunk size 500 does not match the classifier/],
  ];
  it.each(changes)('with another %s: exit 2 naming it, the run left as it was', async (_, extra, message) => {
    const refused = await predict(out, ['--resume', ...extra()]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(message);
    expect(filesUnder(out)).toEqual(stopped);
  });

  it('after the input file changed exits 2 naming the inputs and saying how to start over', async () => {
    const original = readFileSync(input);
    writeFileSync(
      input,
      Buffer.concat([original, Buffer.from('>added\nACGTACGTACGTACGTACGTACGTACGTACGT\n')]),
    );
    try {
      const refused = await predict(out, ['--resume']);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/cannot resume: inputs differ .* use --force to start over/);
      expect(filesUnder(out)).toEqual(stopped);
    } finally {
      writeFileSync(input, original);
    }
  });

  it('with the same inputs, models and options finishes the run', async () => {
    const resumed = await predict(out, ['--resume']);
    expect(resumed.code).toBe(0);
    expect([...filesUnder(out).keys()].sort()).toEqual([...FINAL, 'run.json'].sort());
  }, 120_000);
});

describe('cheap checks come before anything is created', () => {
  /** models with the classifier's module replaced by `module` (bytes) or its manifest edited */
  function brokenModels(name: string, change: (classifier: string) => void): string {
    const copy = path.join(dir, name);
    if (!existsSync(copy)) {
      cpSync(models, copy, { recursive: true });
      change(path.join(copy, 'classifier'));
    }
    return copy;
  }
  const truncate = (classifier: string) => {
    const module = path.join(classifier, 'model.pt');
    const bytes = readFileSync(module);
    writeFileSync(module, bytes.subarray(0, bytes.length - 1000));
  };
  const moduleOutside = (classifier: string) => {
    const manifest = path.join(classifier, 'manifest.json');
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('"model.pt"', '"../esm2/model.pt"'));
  };
  const cases: [string, () => string[], RegExp][] = [
    ['--devices 7 on a CPU build', () => ['--devices', '7'], /GPU 7 requested, .*use --devices cpu/],
    [
      'a 0-byte classifier module',
      () => [
        '--models',
        brokenModels('empty-classifier', (c) => writeFileSync(path.join(c, 'model.pt'), '')),
      ],
      /classifier\/model\.pt: not a TorchScript archive \(empty file\)/,
    ],
    [
      'a truncated classifier module',
      () => ['--models', brokenModels('truncated-classifier', truncate)],
      /classifier\/model\.pt: not a TorchScript archive \(.*truncated/,
    ],
    [
      'a manifest whose module lies outside the model folder',
      () => ['--models', brokenModels('outside-classifier', moduleOutside)],
      /classifier\/manifest\.json: .*esm2\/model\.pt is outside the model folder/,
    ],
    [
      'a report in a folder that does not exist',
      () => ['--report', path.join(dir, 'no-such-folder', 'report.json')],
      /report\.json: the folder .*no-such-folder does not exist/,
    ],
    ['a report under /proc', () => ['--report', '/proc/report.json'], /the report cannot be under \/proc/],
    [
      'a report below a file',
      () => ['--report', path.join(input, 'report.json')],
      /reads\.fa is a file, not a folder/,
    ],
  ];

  it.each(cases)('%s: exit 2, no output folder', async (_, extra, message) => {
    const out = path.join(dir, 'never-made');
    const refused = await predict(out, extra());
    expect(refused.stderr).toMatch(message);
    expect(refused.code).toBe(2);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(path.join(dir, 'no-such-folder'))).toBe(false);
  });

  it.each(cases)('%s: exit 2, an existing folder is left as it was', async (_, extra, message) => {
    const out = path.join(dir, 'kept-as-is');
    mkdirSync(out, { recursive: true });
    writeFileSync(path.join(out, 'notes.txt'), 'mine\n');
    const refused = await predict(out, ['--force', ...extra()]);
    expect(refused.stderr).toMatch(message);
    expect(refused.code).toBe(2);
    expect([...filesUnder(out)]).toEqual([['notes.txt', Buffer.from('mine\n')]]);
  });

  it('-o under /proc exits 2 at once (creating a folder there never returns)', async () => {
    const refused = await runCliWithin(['predict', input, '-o', '/proc/x', '--models', models], 60);
    expect(refused.signal).toBeNull();
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/\/proc\/x: the output folder cannot be under \/proc/);
  }, 90_000);

  it('-o below a file exits 2', async () => {
    const refused = await predict(path.join(input, 'out'));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/reads\.fa is a file, not a folder/);
    expect(temporariesUnder(dir)).toEqual([]);
  });
});

describeOnTmpfs('paths on a read-only file system', () => {
  let disk: ReturnType<typeof smallDisk>;
  beforeAll(() => {
    disk = smallDisk(64, true);
  });
  afterAll(() => disk.unmount());

  it('a report there exits 2 before the output folder is made', async () => {
    const out = path.join(dir, 'read-only-report');
    const refused = await predict(out, ['--report', path.join(disk.dir, 'report.json')]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/report\.json: the report cannot be written \(.*read-only \(EROFS\)\)/);
    expect(existsSync(out)).toBe(false);
  });

  it('an output folder there exits 2', async () => {
    const refused = await predict(path.join(disk.dir, 'out'));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/the output folder cannot be written \(.*read-only \(EROFS\)\)/);
  });
});
