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
  it('writes full shards of shardSize frames in input order', async () => {
    const records = ['a', 'b', 'c', 'd', 'e'].map((id) => `>${id}\n${CODING}\n`).join('');
    const prepared = await prepareShards(options('ok', scratch.write('ok.fa', records)));
    const frameIds = prepared.shards.flatMap((shard) =>
      readFileSync(path.join(scratch.dir, 'ok', shard.nucleotide), 'latin1')
        .split('\n')
        .filter((line) => line.startsWith('>')),
    );
    // six stop-free frames per record, two per shard, in input order
    const expected = ['a', 'b', 'c', 'd', 'e'].flatMap((id) =>
      ['F1', 'F2', 'F3', 'R1', 'R2', 'R3'].map((frame) => `>${id}_chunk_1${frame}`),
    );
    expect(frameIds).toEqual(expected);
    expect(prepared.shards.map((shard) => shard.frames)).toEqual(Array(15).fill(2));
    expect(filesUnder(path.join(scratch.dir, 'ok')).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('removes the shards already committed when a later record is bad', async () => {
    const records = ['a', 'b', 'c', 'd', 'e'].map((id) => `>${id}\n${CODING}\n`).join('');
    const input = scratch.write('bad.fa', `${records}>a\n${CODING}\n`);
    await expect(prepareShards(options('bad', input))).rejects.toThrow(/duplicate id "a"/);
    expect(filesUnder(path.join(scratch.dir, 'bad'))).toEqual(['nucleotide', 'protein']);
  });
});
