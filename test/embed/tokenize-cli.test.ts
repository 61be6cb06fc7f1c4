import path from 'node:path';
import {
  dnaAlphabet,
  exportTinyModels,
  huggingFaceIds,
  randomSequence,
  runCli,
  seededRandom,
  temporaryDir,
  writeFasta,
  type TinyModels,
} from './helpers';

let models: TinyModels;
beforeAll(() => {
  models = exportTinyModels();
});

function parseLines(stdout: string): number[][] {
  return stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
}

describe('virnucpro tokenize', () => {
  it('prints ESM-2 ids by the docs/behaviour.md alphabet, one JSON array per record', async () => {
    const dir = temporaryDir('tokenize-esm');
    const file = writeFasta(path.join(dir, 'p.faa'), [
      { id: 'a', sequence: 'MKV' },
      { id: 'b', sequence: 'LAGX-J' },
    ]);
    const result = await runCli(['tokenize', '--model', models.esm2, file]);
    expect(result.code).toBe(0);
    // <cls>=0, L A G V S E R T I D P K Q N F Y M H W C X B U Z O . - = 4..30, <eos>=2, <unk>=3
    expect(parseLines(result.stdout)).toEqual([
      [0, 20, 15, 7, 2],
      [0, 4, 5, 6, 24, 30, 3, 2],
    ]);
  });

  it('prints DNABERT-S ids equal to @huggingface/tokenizers', async () => {
    const dir = temporaryDir('tokenize-dna');
    const random = seededRandom(21);
    const records = Array.from({ length: 200 }, (_, i) => ({
      id: `r${i}`,
      sequence: randomSequence(random, `${dnaAlphabet}RYKM`, 1, 600),
    }));
    const result = await runCli([
      'tokenize',
      '--model',
      models.dnabert,
      writeFasta(path.join(dir, 'd.fa'), records),
    ]);
    expect(result.code).toBe(0);
    const tokenizerJson = path.join(models.dnabert, 'tokenizer.json');
    expect(parseLines(result.stdout)).toEqual(
      huggingFaceIds(
        tokenizerJson,
        records.map((r) => r.sequence),
      ),
    );
  });
});
