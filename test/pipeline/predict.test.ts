import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { predict, type PredictOptions } from '../../src/pipeline/predict';
import { PredictError } from '../../src/pipeline/predict-errors';
import { RUN_REPORT_FILES } from '../../src/pipeline/run-report';
import { exportTinyModels } from '../embed/helpers';

// End to end on the tiny demo models. The classifier's numbers are checked against python3-torch
// running the same TorchScript file on features it joins by id itself; resume is checked by killing
// the CLI (and its workers) with SIGKILL at several points and comparing the final files' bytes.

const root = path.resolve(__dirname, '..', '..');
const PYTHON = '/usr/bin/python3';
const CLI = path.join(root, 'dist', 'src', 'cli', 'main.js');
const FINAL = [
  'prediction_results.txt',
  'prediction_results_highestscore.csv',
  'prediction_summary.tsv',
  'prediction_plot.svg',
  'viral_hits.fa',
];

let dir: string;
let models: string;
let input: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'virnucpro-predict-'));
  models = exportTinyModels().dir;
  // the demo records twice over (renamed), an empty record and one of unknown bases only (no frame)
  const demo = readFileSync(path.join(root, 'examples', 'demo.fa'), 'utf8');
  input = path.join(dir, 'reads.fa');
  writeFileSync(
    input,
    `${demo}${demo.replace(/>demo_/g, '>again_')}>empty_one\n>unknown\n${'N'.repeat(360)}\n`,
  );
});

function options(outDir: string, extra: Partial<PredictOptions> = {}): PredictOptions {
  return { inputs: [input], outDir: path.join(dir, outDir), models, ...extra };
}

function readFinal(outDir: string): Record<string, string> {
  return Object.fromEntries(FINAL.map((name) => [name, readFileSync(path.join(outDir, name), 'utf8')]));
}

// python3-torch: each frame's vectors are those of its sequence (the kept embeddings hold each distinct
// frame sequence once, found here through the kept identified files), run the classifier, print like
// the original.
const PYTHON_CLASSIFY = `
import sys, json, glob, os, struct, numpy as np, torch
out, models = sys.argv[1], sys.argv[2]
def load(path):
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    e = header['embeddings']
    begin, end = e['data_offsets']
    rows = np.frombuffer(data[begin:end], dtype='<f4').reshape(e['shape'])
    o = header['id_offsets']['data_offsets']
    offsets = np.frombuffer(data[o[0]:o[1]], dtype='<i8')
    b = header['id_bytes']['data_offsets']
    names = data[b[0]:b[1]]
    ids = [names[offsets[k]:offsets[k + 1]].decode('latin1') for k in range(len(rows))]
    return dict(zip(ids, rows))
def frames(path):
    lines = open(path, encoding='latin1').read().splitlines()
    return {lines[k][1:]: lines[k + 1] for k in range(0, len(lines), 2)}
vectors = {}
for model, kept in (('dnabert-s', 'reads_identified_nucleotide.fa'), ('esm2', 'reads_identified_protein.faa')):
    sequence = frames(os.path.join(out, kept))
    by_sequence = {}
    for path in sorted(glob.glob(os.path.join(out, 'embeddings', model, '*.safetensors'))):
        for i, row in load(path).items():
            assert sequence[i] not in by_sequence, f'{model}: {i} embedded twice'
            by_sequence[sequence[i]] = row
    assert len(by_sequence) == len(set(sequence.values())), f'{model}: not every distinct frame embedded'
    vectors[model] = {i: by_sequence[s] for i, s in sequence.items()}
manifest = json.load(open(os.path.join(models, 'classifier', 'manifest.json')))
classifier = torch.jit.load(os.path.join(models, 'classifier', 'model.pt')).eval()
lines = open(os.path.join(out, 'prediction_results.txt')).read().splitlines()[1:]
ids = [line.split('\\t')[0] for line in lines]
x = torch.tensor(np.stack([np.concatenate([vectors[f['model']][i] for f in manifest['features']]) for i in ids]))
with torch.no_grad():
    p = torch.softmax(classifier(x), dim=1)
_, predicted = torch.max(p, 1)
label = {0: 'others', 1: 'virus'}
for i, k, row in zip(ids, predicted, p.numpy()):
    print(f"{i}\\t{label[k.item()]}\\t{str(row[0])}\\t{str(row[1])}")
`;

describe('predict', () => {
  it('writes every file; scores equal python3-torch on the same merged features', async () => {
    const result = await predict(
      options('full', { keepIntermediate: true, renameDuplicates: true, shardSize: 7 }),
    );
    const out = path.join(dir, 'full');
    expect(result.exitCode).toBe(0);
    expect(result.records).toBe(26);
    expect(result.calls.empty).toBe(1);
    expect(result.calls.no_frame).toBeGreaterThanOrEqual(1);
    for (const name of [
      ...FINAL,
      'reads_chunked300.fa',
      'reads_identified_nucleotide.fa',
      'reads_identified_protein.faa',
    ]) {
      expect(existsSync(path.join(out, name))).toBe(true);
    }
    const run = spawnSync(PYTHON, ['-c', PYTHON_CLASSIFY, out, models], { maxBuffer: 1 << 26 });
    if (run.status !== 0) throw new Error(run.stderr.toString());
    const lines = readFileSync(path.join(out, 'prediction_results.txt'), 'utf8').split('\n');
    expect(lines[0]).toBe('Sequence_ID\tPrediction\tscore1\tscore2');
    expect(lines.length - 2).toBe(result.frames);
    // Same ids, calls and scores; the last bits may differ, since libtorch and python3-torch call an
    // optimised BLAS that picks kernels by thread count (the printing itself is compared byte for byte
    // with numpy in prediction-files.test.ts).
    const parse = (text: string) =>
      text
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => line.split('\t'));
    const expected = parse(run.stdout.toString());
    const got = parse(lines.slice(1).join('\n'));
    expect(got.map(([id, call]) => [id, call])).toEqual(expected.map(([id, call]) => [id, call]));
    got.forEach((row, i) => {
      expect(Math.abs(Number(row[2]) - Number(expected[i][2]))).toBeLessThanOrEqual(1e-6);
      expect(Math.abs(Number(row[3]) - Number(expected[i][3]))).toBeLessThanOrEqual(1e-6);
    });
    // one summary row per input record, in input order
    const summary = readFileSync(path.join(out, 'prediction_summary.tsv'), 'utf8').trim().split('\n');
    expect(summary.slice(1).map((row) => row.split('\t')[0])).toEqual([
      ...Array.from(
        { length: 12 },
        (_, i) => `demo_${i + 1 >= 6 && i + 1 <= 9 ? 'contig' : 'read'}_${i + 1}`,
      ),
      ...Array.from(
        { length: 12 },
        (_, i) => `again_${i + 1 >= 6 && i + 1 <= 9 ? 'contig' : 'read'}_${i + 1}`,
      ),
      'empty_one',
      'unknown',
    ]);
    expect(summary.slice(-2)).toEqual([
      'empty_one\t0\t0\t0\tNA\tempty\t0',
      'unknown\t360\t2\t0\tNA\tno_frame\t360',
    ]);
  });

  it('refuses an existing folder without --resume or --force, starts over with force, resumes a finished run', async () => {
    await expect(predict(options('full'))).rejects.toThrow(/already exists.*--resume.*--force/);
    const again = await predict(
      options('full', { resume: true, keepIntermediate: true, renameDuplicates: true, shardSize: 7 }),
    );
    expect(again.alreadyComplete).toBe(true);
    const forced = await predict(options('full', { force: true, shardSize: 7 }));
    expect(forced.exitCode).toBe(0);
    expect(existsSync(path.join(dir, 'full', 'reads_chunked300.fa'))).toBe(false);
  });

  it('refuses a chunk size the classifier was not trained on', async () => {
    await expect(predict(options('wrong-size', { chunkSize: 500 }))).rejects.toThrow(
      /trained on 300-nt chunks/,
    );
    expect(existsSync(path.join(dir, 'wrong-size'))).toBe(false);
  });

  const badInputs: [string, string | Buffer, RegExp][] = [
    ['no-header.fa', 'ACGT\n>a\nACGT\n', /no-header\.fa:1: expected a '>' header line/],
    ['binary.fa', Buffer.from([0x3e, 0x61, 0x0a, 0x00, 0x01, 0x02, 0x0a]), /binary\.fa:2: binary data/],
    ['empty.fa', '', /empty\.fa: empty file/],
    [
      'truncated.fa.gz',
      (() => {
        const whole = gzipSync('>a\n' + 'ACGT'.repeat(5000) + '\n');
        return whole.subarray(0, whole.length - 10);
      })(),
      /truncated\.fa\.gz:\d+: truncated or corrupt gzip/,
    ],
    [
      'duplicate.fa',
      '>a\nACGTACGT\n>b\nACGT\n>a\nACGT\n',
      /duplicate\.fa:5: duplicate id "a" \(first at line 1\)/,
    ],
  ];
  it.each(badInputs)(
    'rejects %s naming file and line, and leaves no files',
    async (name, content, message) => {
      const file = path.join(dir, name);
      writeFileSync(file, content);
      const outDir = path.join(dir, `bad-${name}`);
      const fresh = predict({ inputs: [input, file], outDir, models });
      await expect(fresh).rejects.toThrow(PredictError);
      await expect(predict({ inputs: [input, file], outDir, models })).rejects.toThrow(message);
      expect(existsSync(outDir)).toBe(false);
      // an existing empty folder is kept, and stays empty
      mkdirSync(outDir);
      await expect(predict({ inputs: [file], outDir, models })).rejects.toThrow(message);
      expect(readdirSync(outDir)).toEqual([]);
    },
  );

  describe('resume after SIGKILL', () => {
    let reference: Record<string, string>;
    beforeAll(async () => {
      await predict(options('reference', { renameDuplicates: true, shardSize: 4 }));
      reference = readFinal(path.join(dir, 'reference'));
    });

    function cli(outDir: string, extra: string[]) {
      const args = [
        CLI,
        'predict',
        input,
        '-o',
        outDir,
        '--models',
        models,
        '--rename-duplicates',
        '--shard-size',
        '4',
        '--no-progress',
        ...extra,
      ];
      return spawn(process.execPath, args, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    }

    /** Starts a run, signals its whole process group when stderr first matches `when`; the exit code. */
    function killedRun(
      outDir: string,
      when: RegExp,
      signal: NodeJS.Signals = 'SIGKILL',
    ): Promise<number | null> {
      return new Promise((resolve, reject) => {
        const child = cli(outDir, []);
        let killed = false;
        let text = '';
        child.stderr.on('data', (b: Buffer) => {
          text += b.toString();
          if (!killed && when.test(text)) {
            killed = true;
            process.kill(-(child.pid as number), signal);
          }
        });
        child.on('close', (code) =>
          killed ? resolve(code) : reject(new Error(`never saw ${when}: ${text}`)),
        );
      });
    }

    function resumed(outDir: string): Promise<number | null> {
      return new Promise((resolve) => {
        const child = cli(outDir, ['--resume']);
        child.stderr.resume();
        child.on('close', (code) => resolve(code));
      });
    }

    it.each([
      ['while chunking', /chunk \+ frames: started/],
      ['after chunking', /chunk \+ frames: done/],
      ['while embedding', /ESM-2: started/],
      ['while classifying', /classify: started/],
      ['while writing', /write: started/],
    ])('%s: the resumed run ends with byte-identical files', async (label, when) => {
      const outDir = path.join(dir, `killed-${label.replace(/ /g, '-')}`);
      await killedRun(outDir, when);
      expect(await resumed(outDir)).toBe(0);
      expect(readFinal(outDir)).toEqual(reference);
      // report.html shows times, so it is not among the files compared
      expect(readdirSync(outDir).sort()).toEqual(
        [...FINAL, ...RUN_REPORT_FILES, 'run.json', 'virnucpro.log'].sort(),
      );
    });

    it('reports a partial run (exit code 2, not_scored records) when a shard fails, and --resume completes it', async () => {
      // One sequence per forward call, and the next two calls fail as out of memory: the first fails the
      // worker's shared batch group, whose files then run one by one; the second fails the first of them.
      process.env.VIRNUCPRO_TEST_INJECT_OOM = '2:1';
      let partial;
      try {
        partial = await predict(
          options('partial', { renameDuplicates: true, shardSize: 4, tokensPerBatch: 1, workers: 1 }),
        );
      } finally {
        delete process.env.VIRNUCPRO_TEST_INJECT_OOM;
      }
      expect(partial.exitCode).toBe(2);
      // the shard that failed, and the later shards whose frames repeat some of its frames
      const [failed, ...sharing] = partial.failed;
      expect(failed.code).toBe('E_OOM');
      for (const other of sharing) expect(other.message).toContain(`share vectors with ${failed.shard}`);
      expect(partial.calls.not_scored).toBeGreaterThan(0);
      const summary = readFileSync(path.join(dir, 'partial', 'prediction_summary.tsv'), 'utf8');
      expect(summary).toMatch(/\tnot_scored\t\d+\n/);
      const resumedRun = await predict(
        options('partial', {
          renameDuplicates: true,
          shardSize: 4,
          tokensPerBatch: 1,
          workers: 1,
          resume: true,
        }),
      );
      expect(resumedRun.exitCode).toBe(0);
      // one sequence per call rounds differently from the reference's batches: compare like with like
      await predict(
        options('partial-reference', { renameDuplicates: true, shardSize: 4, tokensPerBatch: 1 }),
      );
      expect(readFinal(path.join(dir, 'partial'))).toEqual(readFinal(path.join(dir, 'partial-reference')));
    });

    it('stops on SIGINT with exit code 130, keeping finished files for --resume', async () => {
      const outDir = path.join(dir, 'interrupted');
      expect(await killedRun(outDir, /DNABERT-S: started/, 'SIGINT')).toBe(130);
      expect(existsSync(path.join(outDir, 'prediction_results.txt'))).toBe(false);
      expect(await resumed(outDir)).toBe(0);
      expect(readFinal(outDir)).toEqual(reference);
    });
  });
});
