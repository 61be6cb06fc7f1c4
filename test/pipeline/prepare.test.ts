import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { prepareShards } from '../../src/pipeline/prepare';
import { scratchFolder } from '../io/scratch-folder';

// Stage 1 of predict commits each shard when it is full (so open files and buffers do not grow with
// the input), yet a bad input still leaves nothing behind.

const scratch = scratchFolder('virnucpro-prepare-');

// 30 sense codons: forward frame 1 of each record is stop-free, so every record keeps a frame
const CODING = 'GCT'.repeat(30);

function options(name: string, input: string) {
  return {
    inputs: [input],
    workDir: path.join(scratch.dir, name),
    chunkSize: 300,
    shardSize: 2,
    renameDuplicates: false,
    intermediateDir: null,
  };
}

const filesUnder = (dir: string) => readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();

describe('prepareShards', () => {
  it('writes full shards of shardSize frames in input order, each distinct frame sequence in one model input', async () => {
    const records = ['a', 'b', 'c', 'd', 'e'].map((id) => `>${id}\n${CODING}\n`).join('');
    const prepared = await prepareShards(options('ok', scratch.write('ok.fa', records)));
    const read = (file: string) => readFileSync(path.join(scratch.dir, 'ok', file), 'latin1');
    const lines = (file: string) => read(file).split('\n').slice(0, -1);
    // six stop-free frames per record, two per shard, in input order: every frame is in the tables
    const frames = ['a', 'b', 'c', 'd', 'e'].flatMap((id) =>
      ['F1', 'F2', 'F3', 'R1', 'R2', 'R3'].map((frame) => `${id}_chunk_1${frame}`),
    );
    for (const table of ['nucleotideTable', 'proteinTable'] as const) {
      const rows = prepared.shards.flatMap((shard) =>
        lines(shard[table]).map((line) => {
          const [id, source, row] = line.split('\t');
          return { id, shard: shard.sources[Number(source)], row: Number(row) };
        }),
      );
      expect(rows.map((row) => row.id)).toEqual(frames);
      // the five records are identical: every frame points at record a's frame of the same name
      for (const { id, shard, row } of rows) {
        const input = table === 'nucleotideTable' ? `nucleotide/${shard}.fa` : `protein/${shard}.faa`;
        expect([id, lines(input)[2 * row]]).toEqual([id, `>a${id.slice(1)}`]);
      }
    }
    // the model inputs hold record a's six frames only; the shards of b..e have nothing to embed
    const inputIds = prepared.shards.flatMap((shard) =>
      lines(shard.nucleotide).filter((line) => line.startsWith('>')),
    );
    expect(inputIds).toEqual(frames.slice(0, 6).map((id) => `>${id}`));
    expect(prepared.distinct).toEqual({ nucleotide: 6, protein: 6 });
    expect(prepared.shards.map((shard) => shard.frames)).toEqual(Array(15).fill(2));
    expect(prepared.shards.map((shard) => shard.rows.protein)).toEqual([2, 2, 2, ...Array(12).fill(0)]);
    expect(filesUnder(path.join(scratch.dir, 'ok')).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('removes the shards already committed when a later record is bad', async () => {
    const records = ['a', 'b', 'c', 'd', 'e'].map((id) => `>${id}\n${CODING}\n`).join('');
    const input = scratch.write('bad.fa', `${records}>a\n${CODING}\n`);
    await expect(prepareShards(options('bad', input))).rejects.toThrow(/duplicate id "a"/);
    expect(filesUnder(path.join(scratch.dir, 'bad'))).toEqual(['nucleotide', 'protein']);
  });
});
