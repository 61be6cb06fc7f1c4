import { execFileSync } from 'node:child_process';
import { packageRoot } from '../../src/native';
import { makeNativeFixtures, type NativeFixtures } from './native-fixtures';

// The addon sets the variable when it initialises, so each case needs a fresh process.
const CHILD = `
const addon = require(require('node:path').join(process.argv[1], 'binding'));
addon.loadModel('m', process.argv[2], { device: 'cpu', dtype: 'fp32' }).then(() => {
  console.log(JSON.stringify({ env: process.env.PYTORCH_CUDA_ALLOC_CONF ?? null, reported: addon.buildInfo().allocConf }));
});
`;

let fixtures: NativeFixtures;
beforeAll(() => {
  fixtures = makeNativeFixtures();
});
afterAll(() => fixtures.remove());

function allocConfAfterLoad(preset: string | undefined): { env: string | null; reported: string | null } {
  const env = { ...process.env };
  delete env.PYTORCH_CUDA_ALLOC_CONF;
  if (preset !== undefined) env.PYTORCH_CUDA_ALLOC_CONF = preset;
  const stdout = execFileSync(process.execPath, ['-e', CHILD, packageRoot(), fixtures.tinyEmbedding], {
    env,
    encoding: 'utf8',
  });
  return JSON.parse(stdout);
}

test.each([
  ['absent', undefined, 'expandable_segments:True'],
  ['empty', '', 'expandable_segments:True'],
  ['set without the option', 'max_split_size_mb:128', 'max_split_size_mb:128,expandable_segments:True'],
  ['set with the option off', 'expandable_segments:False', 'expandable_segments:False'],
  [
    'set with the option among others',
    'garbage_collection_threshold:0.6, expandable_segments:False',
    'garbage_collection_threshold:0.6, expandable_segments:False',
  ],
])('PYTORCH_CUDA_ALLOC_CONF %s', (_case, preset, expected) => {
  expect(allocConfAfterLoad(preset)).toEqual({ env: expected, reported: expected });
});
