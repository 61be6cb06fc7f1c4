import path from 'node:path';
import { outputPathFor } from '../../src/embed/embed-files';

describe('outputPathFor', () => {
  it.each([
    ['a/b/sample.fa', 'sample'],
    ['sample.fasta', 'sample'],
    ['frames.FAA', 'frames'],
    ['x.fna.gz', 'x'],
    ['x.fasta.gz', 'x'],
    ['shard.gz', 'shard'],
    ['reads.txt', 'reads.txt'],
    ['v1.2.fa', 'v1.2'],
  ])('%s -> %s.safetensors', (input, stem) => {
    expect(outputPathFor(input, 'out')).toBe(path.join('out', `${stem}.safetensors`));
  });
});
