import { execFileSync } from 'node:child_process';
import { native, packageRoot } from '../../src/native';
import { makeNativeFixtures, type NativeFixtures } from './native-fixtures';

// PYTORCH_CUDA_ALLOC_CONF: expandable_segments:True is added only for a libtorch that accepts the key
// (2.1 and newer; older ones fail the first CUDA allocation with "Unrecognized CachingAllocator
// option"), never over a user's own value of it. The rule for each version (allocConfFor), then what
// the addon applies when it loads in a fresh process.

const NOT_ACCEPTED =
  /expandable_segments not added: libtorch \d+\.\d+ does not accept it \(2\.1 and newer do\)/;

describe('the rule', () => {
  it.each([
    ['1.13', null],
    ['1.13', 'max_split_size_mb:128'],
    ['2.0', null],
    ['2.0', 'garbage_collection_threshold:0.6'],
  ])('libtorch %s leaves %s as the user set it, and says why', (version, current) => {
    const conf = native().allocConfFor(version, current);
    expect(conf.value).toBe(current);
    expect(conf.note).toMatch(NOT_ACCEPTED);
    expect(conf.note).toContain(`libtorch ${version} `);
  });

  it.each([
    ['2.1', null, 'expandable_segments:True'],
    ['2.1', '', 'expandable_segments:True'],
    ['2.1', 'max_split_size_mb:128', 'max_split_size_mb:128,expandable_segments:True'],
    ['2.4', 'max_split_size_mb:128', 'max_split_size_mb:128,expandable_segments:True'],
    ['10.0', null, 'expandable_segments:True'],
  ])('libtorch %s turns expandable segments on from %s', (version, current, expected) => {
    expect(native().allocConfFor(version, current)).toEqual({ value: expected, note: null });
  });

  it.each(['1.13', '2.0', '2.1'])("libtorch %s keeps a user's own expandable_segments value", (version) => {
    for (const own of [
      'expandable_segments:False',
      'garbage_collection_threshold:0.6, expandable_segments:True',
    ]) {
      expect(native().allocConfFor(version, own)).toEqual({ value: own, note: null });
    }
  });
});

// The addon sets the variable when it initialises, so each case needs a fresh process.
const CHILD = `
const addon = require(require('node:path').join(process.argv[1], 'binding'));
addon.loadModel('m', process.argv[2], { device: 'cpu', dtype: 'fp32' }).then(() => {
  const { allocConf, allocConfNote, torchVersion } = addon.buildInfo();
  console.log(JSON.stringify({
    env: process.env.PYTORCH_CUDA_ALLOC_CONF ?? null,
    reported: { value: allocConf, note: allocConfNote },
    applied: addon.allocConf(),
    torchVersion,
  }));
});
`;

let fixtures: NativeFixtures;
beforeAll(() => {
  fixtures = makeNativeFixtures();
});
afterAll(() => fixtures.remove());

function afterLoad(preset: string | undefined) {
  const env = { ...process.env };
  delete env.PYTORCH_CUDA_ALLOC_CONF;
  if (preset !== undefined) env.PYTORCH_CUDA_ALLOC_CONF = preset;
  const stdout = execFileSync(process.execPath, ['-e', CHILD, packageRoot(), fixtures.tinyEmbedding], {
    env,
    encoding: 'utf8',
  });
  return JSON.parse(stdout);
}

describe('the addon at load', () => {
  it.each([
    ['absent', undefined],
    ['set without the option', 'max_split_size_mb:128'],
    ['set with the option off', 'expandable_segments:False'],
  ])('applies the rule of its own libtorch with PYTORCH_CUDA_ALLOC_CONF %s', (_case, preset) => {
    const seen = afterLoad(preset);
    const [major, minor] = seen.torchVersion.split('.').map(Number);
    const accepted = major > 2 || (major === 2 && minor >= 1);
    const own = preset?.includes('expandable_segments');
    const expected =
      own || !accepted ? (preset ?? null) : [preset, 'expandable_segments:True'].filter(Boolean).join(',');
    expect(seen.env).toBe(expected);
    expect(seen.reported.value).toBe(expected);
    expect(seen.applied).toEqual(seen.reported);
    expect(seen.applied.note === null).toBe(Boolean(own) || accepted);
  });
});
