import { readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { batchGroups } from '../../src/embed/pool';
import path from 'node:path';
import { createEmbeddingPool, embedSequences, type PoolEvent } from '../../src';
import { native } from '../../src/native';
import {
  dnaAlphabet,
  exportTinyModels,
  maxAbsDiff,
  proteinAlphabet,
  randomSequence,
  readEmbeddings,
  referenceEmbeddings,
  seededRandom,
  temporaryDir,
  writeFasta,
  type TinyModels,
} from './helpers';

// The library API. Workers run the tsc output in dist/ (built by `npm test`).

let models: TinyModels;
beforeAll(() => {
  models = exportTinyModels();
});

describe('createEmbeddingPool', () => {
  it('validates its options before starting anything', () => {
    expect(() => createEmbeddingPool({ models: [] })).toThrow(/invalid embedding pool options/);
    expect(() => createEmbeddingPool({ models: [models.esm2], workers: 0 })).toThrow(/workers/);
    expect(() => createEmbeddingPool({ models: [models.esm2], dtype: 'fp64' as 'fp32' })).toThrow(/dtype/);
    expect(() => createEmbeddingPool({ models: [path.join(models.esm2, 'nope')] })).toThrow(/manifest\.json/);
  });

  it('retries the file of a worker killed with SIGKILL; every output ends present and correct', async () => {
    const dir = temporaryDir('pool-kill');
    const random = seededRandom(11);
    const inputs = Array.from({ length: 6 }, (_, f) => {
      const records = Array.from({ length: 80 }, (_, r) => ({
        id: `f${f}r${r}`,
        sequence: randomSequence(random, proteinAlphabet, 20, 150),
      }));
      return { file: writeFasta(path.join(dir, `in${f}.fa`), records), records };
    });
    const out = path.join(dir, 'out');
    const pool = createEmbeddingPool({ models: [models.esm2], workers: 2, tokensPerBatch: 200 });
    const died: PoolEvent[] = [];
    let killed = false;
    pool.on('progress', (event) => {
      if (event.type === 'worker-died') died.push(event);
      if (event.type === 'batch' && !killed) {
        killed = true;
        process.kill(pool.stats().workers[event.worker].pid as number, 'SIGKILL');
      }
    });
    try {
      const result = await pool.embedFiles(
        inputs.map((input) => input.file),
        out,
      );
      expect(result.failed).toEqual([]);
      expect(result.outputs).toHaveLength(6);
      expect(died).toHaveLength(1);
      const stats = pool.stats();
      expect(stats.workers.reduce((sum, worker) => sum + worker.crashes, 0)).toBe(1);
      expect(stats.workers.reduce((sum, worker) => sum + worker.processes, 0)).toBe(3);
    } finally {
      await pool.close();
    }
    expect(readdirSync(out).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    const reference = referenceEmbeddings(
      models.esm2,
      inputs.flatMap((input) => input.records.map((record) => record.sequence)),
    );
    inputs.forEach((input, f) => {
      const output = readEmbeddings(path.join(out, `in${f}.safetensors`));
      expect(output.ids).toEqual(input.records.map((record) => record.id));
      expect(maxAbsDiff(output.rows, reference.slice(f * 80, (f + 1) * 80))).toBeLessThanOrEqual(1e-4);
    });
  });

  it('holds both models in each worker and embeds with the one each call names, two calls at once', async () => {
    const dir = temporaryDir('pool-two');
    const random = seededRandom(12);
    const dna = Array.from({ length: 5 }, (_, r) => ({
      id: `n${r}`,
      sequence: randomSequence(random, dnaAlphabet, 30, 90),
    }));
    const protein = Array.from({ length: 5 }, (_, r) => ({
      id: `p${r}`,
      sequence: randomSequence(random, proteinAlphabet, 10, 30),
    }));
    const pool = createEmbeddingPool({ models: [models.dnabert, models.esm2], workers: 1 });
    try {
      await expect(pool.embedFiles([], dir)).rejects.toThrow(/say which one/);
      // two runs at once on one pool, as predict does
      const [nucleotide, proteins] = await Promise.all([
        pool.embedFiles([writeFasta(path.join(dir, 'n.fna'), dna)], path.join(dir, 'dna'), 'dnabert-s'),
        pool.embedFiles([writeFasta(path.join(dir, 'p.faa'), protein)], path.join(dir, 'esm'), models.esm2),
      ]);
      expect(readEmbeddings(nucleotide.outputs[0]).ids).toEqual(dna.map((record) => record.id));
      expect(readEmbeddings(proteins.outputs[0]).ids).toEqual(protein.map((record) => record.id));
      expect(readEmbeddings(nucleotide.outputs[0]).dim).toBe(48);
      expect(readEmbeddings(proteins.outputs[0]).dim).toBe(32);
      expect(pool.stats().workers[0]).toMatchObject({ modelLoads: 2, processes: 1, files: 2 });
      // a CPU worker sees no GPU, and its addon applied the allocator rule (alloc-conf.test.ts) for its libtorch
      const rule = native().allocConfFor(
        native().buildInfo().torchVersion,
        process.env.PYTORCH_CUDA_ALLOC_CONF ?? null,
      );
      expect(pool.stats().workers[0].setup).toMatchObject({
        visibleDevices: '',
        allocConf: rule.value,
        allocConfNote: rule.note,
        tokenBudgets: { [models.dnabert]: 4096, [models.esm2]: 4096 },
      });
    } finally {
      await pool.close();
    }
  });
});

describe('cross-file batching', () => {
  it('batches 20 small files like one file holding the same records: same batches, same padding', async () => {
    const dir = temporaryDir('pool-small-files');
    const random = seededRandom(14);
    const records = Array.from({ length: 500 }, (_, r) => ({
      id: `r${r}`,
      sequence: randomSequence(random, proteinAlphabet, 100, 167),
    }));
    const one = [writeFasta(path.join(dir, 'all.faa'), records)];
    const twenty = Array.from({ length: 20 }, (_, f) =>
      writeFasta(path.join(dir, `part${f}.faa`), records.slice(f * 25, (f + 1) * 25)),
    );
    const statsOf = async (files: string[], out: string) => {
      // one worker: both runs batch every file together
      const pool = createEmbeddingPool({ models: [models.esm2], workers: 1 });
      try {
        const result = await pool.embedFiles(files, path.join(dir, out));
        expect(result.failed).toEqual([]);
        return pool.stats();
      } finally {
        await pool.close();
      }
    };
    const single = await statsOf(one, 'one');
    const split = await statsOf(twenty, 'twenty');
    expect(split.files).toBe(20);
    expect(split.batches).toBe(single.batches);
    expect(split.paddedTokens).toBe(single.paddedTokens);
    expect(split.tokens).toBe(single.tokens);
    const together = readEmbeddings(path.join(dir, 'one', 'all.safetensors'));
    const parts = twenty.map((_, f) => readEmbeddings(path.join(dir, 'twenty', `part${f}.safetensors`)));
    expect(parts.flatMap((part) => part.ids)).toEqual(together.ids);
    expect(
      maxAbsDiff(
        parts.flatMap((part) => part.rows),
        together.rows.map((row) => Array.from(row)),
      ),
    ).toBeLessThanOrEqual(1e-6);
  });

  it('gives a failing job a stable code and leaves the other jobs of its batch group done', async () => {
    const dir = temporaryDir('pool-codes');
    const good = writeFasta(path.join(dir, 'good.faa'), [{ id: 'a', sequence: 'MKVL' }]);
    const bad = path.join(dir, 'bad.faa');
    writeFileSync(bad, '>a\nMKV\n>a\nMKV\n');
    const pool = createEmbeddingPool({ models: [models.esm2] });
    try {
      const results = await pool.run(
        [good, bad].map((input, i) => ({
          id: `job${i}`,
          kind: 'embed' as const,
          input,
          output: path.join(dir, 'out', `${i}.safetensors`),
          model: models.esm2,
          fingerprint: 'test',
        })),
      );
      expect(results.map((result) => [result.id, result.status, result.code])).toEqual([
        ['job0', 'done', undefined],
        ['job1', 'failed', 'E_INPUT'],
      ]);
      expect(results[1].message).toMatch(/bad\.faa:3/);
    } finally {
      await pool.close();
    }
  });
});

describe('batchGroups', () => {
  const embed = (id: string, model: string) =>
    ({ id, kind: 'embed', input: id, output: id, model, fingerprint: '' }) as const;
  it('groups embed jobs per model in order up to 4 MiB, and each classify job alone', () => {
    const MiB = 1 << 20;
    const items = [
      { job: embed('a', 'esm'), bytes: 3 * MiB },
      { job: embed('b', 'dna'), bytes: 1 },
      { job: embed('c', 'esm'), bytes: MiB },
      { job: embed('d', 'esm'), bytes: 1 },
      { job: { ...embed('e', 'cls'), kind: 'classify' as const, input: ['x'], sources: [] }, bytes: 9 },
    ];
    const groups = batchGroups(
      items,
      (item) => item.job,
      (item) => item.bytes,
    );
    expect([...groups].map(([key, members]) => [key, members.map((m) => m.job.id)])).toEqual([
      ['esm#0', ['a', 'c']],
      ['dna#0', ['b']],
      ['esm#1', ['d']],
      ['job#e', ['e']],
    ]);
  });
});

describe('rerun after an interruption', () => {
  it('recomputes a partly written batch group whole, so the files equal an uninterrupted run byte for byte', async () => {
    const dir = temporaryDir('pool-rerun');
    const random = seededRandom(16);
    const files = Array.from({ length: 8 }, (_, f) =>
      writeFasta(
        path.join(dir, `part${f}.faa`),
        Array.from({ length: 12 }, (_, r) => ({
          id: `p${f}_${r}`,
          sequence: randomSequence(random, proteinAlphabet, 20, 160),
        })),
      ),
    );
    const pool = createEmbeddingPool({ models: [models.esm2], tokensPerBatch: 900, workers: 1 });
    try {
      const out = path.join(dir, 'out');
      await pool.embedFiles(files, out);
      const first = files.map((_, f) => readFileSync(path.join(out, `part${f}.safetensors`)));
      for (const f of [1, 4, 6]) unlinkSync(path.join(out, `part${f}.safetensors`));
      const rerun = await pool.embedFiles(files, out);
      expect(rerun.failed).toEqual([]);
      files.forEach((_, f) =>
        expect(readFileSync(path.join(out, `part${f}.safetensors`)).equals(first[f])).toBe(true),
      );
    } finally {
      await pool.close();
    }
  });
});

describe('embedSequences', () => {
  it('embeds in this process, rows in input order, equal to python3-torch', async () => {
    const random = seededRandom(13);
    const sequences = Array.from({ length: 12 }, (_, i) => ({
      id: `s${i}`,
      sequence: randomSequence(random, dnaAlphabet, 5, 400),
    }));
    const result = await embedSequences(models.dnabert, sequences, { tokensPerBatch: 300 });
    expect(result.ids).toEqual(sequences.map((s) => s.id));
    expect(result.dim).toBe(48);
    expect(result.data).toHaveLength(12 * 48);
    const reference = referenceEmbeddings(
      models.dnabert,
      sequences.map((s) => s.sequence),
    );
    expect(maxAbsDiff(result.rows, reference)).toBeLessThanOrEqual(1e-4);
  });

  it('rejects bad options with the field named', async () => {
    await expect(embedSequences(models.esm2, [], { device: 'gpu' })).rejects.toThrow(/device/);
  });
});
