import { cpSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  dnaAlphabet,
  exportTinyModels,
  maxAbsDiff,
  proteinAlphabet,
  randomSequence,
  readEmbeddings,
  readReport,
  referenceEmbeddings,
  runCli,
  seededRandom,
  temporaryDir,
  writeFasta,
  type Record,
  type TinyModels,
} from './helpers';

// `virnucpro embed` end to end, from dist/, against python3-torch running the same exported modules.

let models: TinyModels;
beforeAll(() => {
  models = exportTinyModels();
});

function proteinFiles(
  dir: string,
  seed: number,
  files: number,
  perFile: number,
): { file: string; records: Record[] }[] {
  const random = seededRandom(seed);
  return Array.from({ length: files }, (_, f) => {
    const records = Array.from({ length: perFile }, (_, r) => ({
      id: `p${f}_${r}`,
      sequence: randomSequence(random, proteinAlphabet, 1, 200),
    }));
    return { file: writeFasta(path.join(dir, `proteins${f}.faa`), records), records };
  });
}

function expectMatchesReference(
  modelDir: string,
  outDir: string,
  inputs: { file: string; records: Record[] }[],
): void {
  const all = inputs.flatMap((input) => input.records);
  const reference = referenceEmbeddings(
    modelDir,
    all.map((record) => record.sequence),
  );
  let offset = 0;
  for (const input of inputs) {
    const stem = path.basename(input.file).replace(/\.(faa|fa|fna|fasta)(\.gz)?$/, '');
    const output = readEmbeddings(path.join(outDir, `${stem}.safetensors`));
    expect(output.ids).toEqual(input.records.map((record) => record.id));
    const expected = reference.slice(offset, offset + input.records.length);
    expect(maxAbsDiff(output.rows, expected)).toBeLessThanOrEqual(1e-4);
    offset += input.records.length;
  }
}

function temporaries(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.endsWith('.tmp'));
}

describe('virnucpro embed', () => {
  it('matches python3-torch for ESM-2 (one sequence at a time) in input order, with metadata', async () => {
    const dir = temporaryDir('embed-esm');
    const inputs = proteinFiles(dir, 1, 3, 40);
    // longer than the 1024 residues ESM-2 pools over, and a character outside the alphabet
    inputs[0].records.push({
      id: 'long',
      sequence: randomSequence(seededRandom(9), proteinAlphabet, 1100, 1100),
    });
    inputs[0].records.push({ id: 'odd', sequence: 'MKJ*V' });
    writeFasta(inputs[0].file, inputs[0].records);
    const out = path.join(dir, 'out');
    const result = await runCli([
      'embed',
      '--model',
      models.esm2,
      '-o',
      out,
      '--tokens-per-batch',
      '600',
      '--workers',
      '2',
      ...inputs.map((input) => input.file),
    ]);
    expect(result.stderr).toContain('3 embedded');
    expect(result.code).toBe(0);
    expectMatchesReference(models.esm2, out, inputs);
    const { metadata, dim } = readEmbeddings(path.join(out, 'proteins0.safetensors'));
    expect(metadata).toMatchObject({ model: 'esm2-tiny', dim: '32', pooling: 'esm-mean' });
    expect(dim).toBe(32);
  });

  it('matches python3-torch for DNABERT-S with token ids from @huggingface/tokenizers, gzip input', async () => {
    const dir = temporaryDir('embed-dna');
    const random = seededRandom(2);
    const records = Array.from({ length: 60 }, (_, r) => ({
      id: `read${r}_chunk_1F1`,
      sequence: randomSequence(random, dnaAlphabet, 20, 500),
    }));
    const plain = writeFasta(path.join(dir, 'frames.fna'), records);
    writeFileSync(path.join(dir, 'frames.fna.gz'), gzipSync(readFileSync(plain)));
    const out = path.join(dir, 'out');
    const gz = path.join(dir, 'frames.fna.gz');
    const result = await runCli([
      'embed',
      '--model',
      models.dnabert,
      '-o',
      out,
      '--tokens-per-batch',
      '1000',
      gz,
    ]);
    expect(result.code).toBe(0);
    expectMatchesReference(models.dnabert, out, [{ file: plain, records }]);
  });

  it('skips complete outputs on a second run and redoes a damaged one', async () => {
    const dir = temporaryDir('embed-resume');
    const inputs = proteinFiles(dir, 3, 3, 10);
    const out = path.join(dir, 'out');
    const args = ['embed', '--model', models.esm2, '-o', out, '--report', path.join(dir, 'report.json')];
    expect((await runCli([...args, ...inputs.map((i) => i.file)])).code).toBe(0);
    const first = path.join(out, 'proteins0.safetensors');
    const firstMtime = statSync(first).mtimeMs;
    writeFileSync(path.join(out, 'proteins2.safetensors'), 'not a safetensors file');

    const second = await runCli([...args, ...inputs.map((i) => i.file)]);
    expect(second.code).toBe(0);
    const report = readReport(path.join(dir, 'report.json'));
    expect(report.skipped).toEqual([inputs[0].file, inputs[1].file]);
    expect(report.outputs).toEqual([path.join(out, 'proteins2.safetensors')]);
    expect(statSync(first).mtimeMs).toBe(firstMtime);
    expectMatchesReference(models.esm2, out, inputs);
  });

  it('halves a batch on an injected out-of-memory error and writes the same embeddings', async () => {
    const dir = temporaryDir('embed-oom');
    const inputs = proteinFiles(dir, 4, 2, 30);
    const out = path.join(dir, 'out');
    const report = path.join(dir, 'report.json');
    const result = await runCli(
      // one worker: each worker process counts its own injected failures
      [
        'embed',
        '--model',
        models.esm2,
        '--workers',
        '1',
        '-o',
        out,
        '--report',
        report,
        ...inputs.map((i) => i.file),
      ],
      { env: { VIRNUCPRO_TEST_INJECT_OOM: '3:2' } },
    );
    expect(result.code).toBe(0);
    expect(readReport(report).stats.oomSplits).toBe(3);
    expectMatchesReference(models.esm2, out, inputs);
  });

  it('fails a file whose single sequence runs out of memory, naming the file and record', async () => {
    const dir = temporaryDir('embed-oom1');
    const [input] = proteinFiles(dir, 5, 1, 1);
    const out = path.join(dir, 'out');
    const result = await runCli(['embed', '--model', models.esm2, '-o', out, input.file], {
      env: { VIRNUCPRO_TEST_INJECT_OOM: '100:1' },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/FAILED .*proteins0\.faa: .*record "p0_0".*out of memory/);
    expect(readdirSync(out)).toEqual([]);
  });

  it('refuses duplicate ids by default (exit 1, no output) and accepts them when allowed', async () => {
    const dir = temporaryDir('embed-dup');
    const file = writeFasta(path.join(dir, 'dup.fa'), [
      { id: 'a', sequence: 'MKV' },
      { id: 'b', sequence: 'MKVL' },
      { id: 'a', sequence: 'LLL' },
    ]);
    const out = path.join(dir, 'out');
    const refused = await runCli(['embed', '--model', models.esm2, '-o', out, file]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/dup\.fa:5: duplicate id "a"/);
    expect(existsSync(path.join(out, 'dup.safetensors'))).toBe(false);
    const allowed = await runCli(['embed', '--model', models.esm2, '-o', out, '--allow-duplicate-ids', file]);
    expect(allowed.code).toBe(0);
    expect(readEmbeddings(path.join(out, 'dup.safetensors')).ids).toEqual(['a', 'b', 'a']);
  });

  it('fails every file, naming the cause, when the workers cannot load the model', async () => {
    const dir = temporaryDir('embed-badmodel');
    const model = path.join(dir, 'esm2');
    cpSync(models.esm2, model, { recursive: true });
    writeFileSync(path.join(model, 'model.pt'), 'not a TorchScript archive');
    const [input] = proteinFiles(dir, 10, 1, 2);
    const result = await runCli(['embed', '--model', model, '-o', path.join(dir, 'out'), input.file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/FAILED .*proteins0\.faa: worker \d+ \(cpu\) cannot start: .*model\.pt/);
  });

  it('exits 2 when some files fail and others succeed', async () => {
    const dir = temporaryDir('embed-partial');
    const [good] = proteinFiles(dir, 6, 1, 3);
    const bad = path.join(dir, 'bad.fa');
    writeFileSync(bad, 'no header here\n');
    const result = await runCli([
      'embed',
      '--model',
      models.esm2,
      '-o',
      path.join(dir, 'out'),
      good.file,
      bad,
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/FAILED .*bad\.fa: bad\.fa:1:/);
  });

  it('says once on stderr which options --deterministic replaces', async () => {
    const dir = temporaryDir('embed-deterministic');
    const [input] = proteinFiles(dir, 9, 1, 4);
    const run = (extra: string[]) =>
      runCli([
        'embed',
        '--model',
        models.esm2,
        '--deterministic',
        ...extra,
        '-o',
        path.join(dir, 'out'),
        input.file,
      ]);
    const given = await run(['--threads', '2', '--tokens-per-batch', '512']);
    expect(given.code).toBe(0);
    const lines = given.stderr.split('\n').filter((line) => line.includes('--deterministic replaces'));
    expect(lines).toEqual([
      '--deterministic replaces --threads 2 (it uses 1 thread per CPU worker) and --tokens-per-batch 512 (it runs one sequence per forward call)',
    ]);
    expect((await run([])).stderr).not.toContain('--deterministic replaces');
  });

  it('loads the model once per persistent worker; a CPU worker reports no cache clears (there is no CUDA cache)', async () => {
    const dir = temporaryDir('embed-cache');
    const inputs = proteinFiles(dir, 7, 25, 2);
    const files = inputs.map((input) => input.file);
    const report = path.join(dir, 'report.json');
    const args = [
      '--model',
      models.esm2,
      '--workers',
      '1',
      '--cache-clear-interval',
      '10',
      '--report',
      report,
    ];

    expect((await runCli(['embed', ...args, '-o', path.join(dir, 'persistent'), ...files])).code).toBe(0);
    const persistent = readReport(report).stats;
    expect(persistent.workers).toHaveLength(1);
    expect(persistent.workers[0]).toMatchObject({
      files: 25,
      cacheClears: null,
      modelLoads: 1,
      processes: 1,
    });
    expect(persistent.cacheClears).toBeNull();

    // a process per file: six are enough to show it, and each costs a libtorch start
    const fresh = [
      'embed',
      ...args,
      '--no-persistent-models',
      '-o',
      path.join(dir, 'fresh'),
      ...files.slice(0, 6),
    ];
    expect((await runCli(fresh)).code).toBe(0);
    const perFile = readReport(report).stats;
    expect(perFile.workers[0]).toMatchObject({ files: 6, modelLoads: 6, processes: 6, cacheClears: null });
    expectMatchesReference(models.esm2, path.join(dir, 'fresh'), inputs.slice(0, 3));
  });

  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('stops cleanly on %s without partial outputs, and a rerun completes', async (signal, code) => {
    const dir = temporaryDir(`embed-${signal}`);
    const inputs = proteinFiles(dir, 8, 8, 60);
    const out = path.join(dir, 'out');
    const args = [
      'embed',
      '--model',
      models.esm2,
      '-o',
      out,
      '--tokens-per-batch',
      '256',
      '--verbose',
      ...inputs.map((i) => i.file),
    ];
    let cli = 0;
    // the eight small files share batches, so the signal comes during the first forward passes
    const stopped = await runCli(args, {
      onStart: (pid) => (cli = pid),
      onStderr: (text) => {
        if (text.includes('batch of')) process.kill(cli, signal);
      },
    });
    expect(stopped.code).toBe(code);
    expect(temporaries(out)).toEqual([]);
    const written = readdirSync(out);
    expect(written.length).toBeLessThan(8);
    const rerun = await runCli(args);
    expect(rerun.code).toBe(0);
    expect(rerun.stderr).toContain(`${written.length} skipped`);
    expectMatchesReference(models.esm2, out, inputs);
  });
});
