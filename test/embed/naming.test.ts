import path from 'node:path';
import { outputPathFor } from '../../src/embed/embed-file';
import { allocatorConfig } from '../../src/embed/pool';

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

describe('allocatorConfig (PYTORCH_CUDA_ALLOC_CONF given to GPU workers)', () => {
  it.each([
    [undefined, 'expandable_segments:True'],
    ['', 'expandable_segments:True'],
    ['max_split_size_mb:128', 'max_split_size_mb:128,expandable_segments:True'],
    ['expandable_segments:False', 'expandable_segments:False'],
    ['max_split_size_mb:64, expandable_segments:True', 'max_split_size_mb:64, expandable_segments:True'],
  ])('%p -> %p', (current, expected) => {
    expect(allocatorConfig(current)).toBe(expected);
  });
});
