import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HighestScoreWriter } from '../../src/pipeline/highest-score';
import {
  ChunkScores,
  compareCodePoints,
  inputStem,
  intermediateNames,
  PREDICTION_HEADER,
  predictionLine,
  summarizeRecord,
  summaryLine,
  wrappedFastaEntry,
  type FrameScore,
} from '../../src/pipeline/prediction-files';
import { seededRandom } from '../../bench/synthetic';

const PYTHON = process.env.VIRNUCPRO_PYTHON ?? '/usr/bin/python3';

/**
 * The highest-score table as HighestScoreWriter writes it, one ChunkScores per record; `linesPerRun`
 * small enough that its external sort spills and merges runs.
 */
async function highestScoreTable(records: ChunkScores[], linesPerRun = 3): Promise<string> {
  const outDir = mkdtempSync(path.join(os.tmpdir(), 'virnucpro-highest-'));
  try {
    const writer = new HighestScoreWriter(path.join(outDir, 'scratch'), 0, linesPerRun);
    for (const scores of records) await writer.add(scores);
    await writer.write(outDir);
    expect(readdirSync(outDir)).toEqual(['prediction_results_highestscore.csv']); // scratch removed
    return readFileSync(path.join(outDir, 'prediction_results_highestscore.csv'), 'utf8');
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

/**
 * One ChunkScores per record, as predict and rescore hand them over: frames grouped by record, ids one
 * character per UTF-8 byte, as the files hold them.
 */
function byRecord(frames: FrameScore[]): ChunkScores[] {
  const records = new Map<string, ChunkScores>();
  for (const frame of frames) {
    const score = { ...frame, id: Buffer.from(frame.id, 'utf8').toString('latin1') };
    const record = score.id.slice(0, score.id.lastIndexOf('_chunk_'));
    if (!records.has(record)) records.set(record, new ChunkScores());
    records.get(record)?.add(score);
  }
  return [...records.values()];
}

// The original's steps re-enacted in Python: softmax rows as float32, torch.max for the label,
// '\t'.join(map(str, row)) per line, then the highest-score table as pandas builds it (scores read
// back as floats, groups keyed by Sequence_ID[:-2], max per group, keys in Python str order).
const REFERENCE = `
import sys, json, numpy as np, torch
rows = json.load(sys.stdin)
ids = [r[0] for r in rows]
probs = torch.tensor([[r[1], r[2]] for r in rows], dtype=torch.float32)
_, predicted = torch.max(probs, 1)
label = {1: 'virus', 0: 'others'}
out = ['Sequence_ID\\tPrediction\\tscore1\\tscore2\\n']
for seqid, pred, p in zip(ids, predicted, probs.numpy()):
    out.append(f"{seqid}\\t{label[pred.item()]}\\t{chr(9).join(map(str, p))}\\n")
results = ''.join(out)
groups = {}
for line in results.splitlines()[1:]:
    seqid, _, s1, s2 = line.split('\\t')
    g = groups.setdefault(seqid[:-2], [float('-inf'), float('-inf')])
    g[0] = max(g[0], float(s1)); g[1] = max(g[1], float(s2))
table = 'Modified_ID\\tIs_Virus\\n' + ''.join(f"{k}\\t{g[1] >= g[0]}\\n" for k, g in sorted(groups.items()))
sys.stdout.write(json.dumps([results, table]))
`;

function sampleScores(): FrameScore[] {
  const next = seededRandom(7);
  const records = [
    'read_b',
    'read_B',
    'Read_a',
    'read-1',
    'read.1',
    'réad',
    'read😀',
    'read\uffee',
    'r10',
    'r9',
  ];
  const suffixes = ['F1', 'F2', 'F3', 'R1', 'R2', 'R3'];
  const scores: FrameScore[] = [];
  for (const record of records) {
    for (let chunk = 1; chunk <= 12; chunk++) {
      for (const suffix of suffixes) {
        if (next() < 0.4) continue;
        const logit = (next() - 0.5) * 30;
        let virus = Math.fround(1 / (1 + Math.exp(-logit)));
        let others = Math.fround(1 - virus);
        if (next() < 0.05) virus = others = 0.5; // an exact tie
        scores.push({ id: `${record}_chunk_${chunk}${suffix}`, others, virus });
      }
    }
  }
  return scores;
}

describe('prediction tables against the original steps in Python', () => {
  it('writes prediction_results.txt and the highest-score table byte for byte', async () => {
    const scores = sampleScores();
    const results = PREDICTION_HEADER + scores.map(predictionLine).join('');
    const run = spawnSync(PYTHON, ['-c', REFERENCE], {
      input: JSON.stringify(scores.map((s) => [s.id, s.others, s.virus])),
      maxBuffer: 1 << 26,
    });
    if (run.status !== 0) throw new Error(run.stderr.toString());
    const [expectedResults, expectedTable] = JSON.parse(run.stdout.toString()) as [string, string];
    expect(results).toBe(expectedResults);
    expect(await highestScoreTable(byRecord(scores), 50)).toBe(expectedTable);
  });
});

describe('prediction tables', () => {
  it('labels a tie as others, like torch.max taking the first index', () => {
    expect(predictionLine({ id: 'a_chunk_1F1', others: 0.5, virus: 0.5 })).toBe(
      'a_chunk_1F1\tothers\t0.5\t0.5\n',
    );
    expect(predictionLine({ id: 'a_chunk_1F1', others: 0.25, virus: 0.75 })).toBe(
      'a_chunk_1F1\tvirus\t0.25\t0.75\n',
    );
  });

  it('groups frames by id minus two characters; Is_Virus when max virus >= max others', async () => {
    const scores = new ChunkScores();
    // chunk_1: max others 0.9 (R1), max virus 0.6 (F1) -> False
    scores.add({ id: 'x_chunk_1F1', others: 0.4, virus: 0.6 });
    scores.add({ id: 'x_chunk_1R1', others: 0.9, virus: 0.1 });
    // chunk_2: a tie of the maxima -> True
    scores.add({ id: 'x_chunk_2F2', others: 0.5, virus: 0.5 });
    // chunk_10 sorts before chunk_2 in byte order
    scores.add({ id: 'x_chunk_10R3', others: 0.2, virus: 0.8 });
    expect(await highestScoreTable([scores])).toBe(
      'Modified_ID\tIs_Virus\nx_chunk_1\tFalse\nx_chunk_10\tTrue\nx_chunk_2\tTrue\n',
    );
  });

  it('sorts by code point (UTF-8 byte order), not UTF-16 units', () => {
    const ids = ['b', 'B', '_', 'a😀', 'a\uffee', 'é'];
    expect(ids.sort(compareCodePoints)).toEqual(
      ['B', '_', 'b', 'é', 'a\uffee', 'a😀'].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))),
    );
  });

  it('summarizes each record: virus if any chunk is virus, no_frame, empty', () => {
    const scores = new ChunkScores();
    scores.add({ id: 'r_chunk_1F1', others: 0.9, virus: 0.1 });
    scores.add({ id: 'r_chunk_2R2', others: 0.3, virus: 0.7 });
    scores.add({ id: 'r_chunk_2R3', others: 0.6, virus: 0.4 });
    scores.add({ id: 's_chunk_1F1', others: 0.8, virus: 0.2 });
    const r = summarizeRecord('r', 700, ['r_chunk_1', 'r_chunk_2', 'r_chunk_3'], scores, 12);
    expect(r).toEqual({
      id: 'r',
      length: 700,
      chunks: 3,
      framesScored: 3,
      maxVirus: Math.fround(0.7),
      call: 'virus',
      nonAcgt: 12,
    });
    expect(summaryLine(r)).toBe('r\t700\t3\t3\t0.7\tvirus\t12\n');
    expect(summarizeRecord('s', 200, ['s_chunk_1'], scores, 0).call).toBe('others');
    const none = summarizeRecord('t', 40, ['t_chunk_1'], scores, 40);
    expect([none.call, summaryLine(none)]).toEqual(['no_frame', 't\t40\t1\t0\tNA\tno_frame\t40\n']);
    expect(summarizeRecord('u', 0, [], scores, 0).call).toBe('empty');
  });
});

describe('intermediate file names', () => {
  it('cut the input name at its first .fa, as the original does', () => {
    expect(inputStem('data/reads.fasta.gz')).toBe('reads');
    expect(inputStem('reads.fa')).toBe('reads');
    expect(inputStem('contigs.fna')).toBe('contigs');
    expect(inputStem('reads.txt.gz')).toBe('reads');
    expect(intermediateNames('reads', 300)).toEqual({
      chunked: 'reads_chunked300.fa',
      nucleotide: 'reads_identified_nucleotide.fa',
      protein: 'reads_identified_protein.faa',
    });
  });

  it('wraps the chunked file at 60 characters per line, as Biopython writes FASTA', () => {
    const chunk = 'ACGTACGTAC'.repeat(30);
    expect(wrappedFastaEntry('r_chunk_1', chunk)).toBe(
      `>r_chunk_1\n${[0, 60, 120, 180, 240].map((start) => chunk.slice(start, start + 60)).join('\n')}\n`,
    );
    expect(wrappedFastaEntry('r_chunk_2', 'A'.repeat(61))).toBe(`>r_chunk_2\n${'A'.repeat(60)}\nA\n`);
    expect(wrappedFastaEntry('s_chunk_1', 'ACG')).toBe('>s_chunk_1\nACG\n');
    expect(wrappedFastaEntry('t_chunk_1', 'C'.repeat(120))).toBe(
      `>t_chunk_1\n${'C'.repeat(60)}\n${'C'.repeat(60)}\n`,
    );
  });
});
