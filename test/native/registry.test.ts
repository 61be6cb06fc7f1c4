import type { Dtype } from '../../binding';
import { native } from '../../src/native';
import { makeNativeFixtures, type NativeFixtures } from './native-fixtures';

let fixtures: NativeFixtures;
beforeAll(() => {
  fixtures = makeNativeFixtures();
});
afterAll(() => fixtures.remove());

const cpu = { device: 'cpu', dtype: 'fp32' } as const;

test('a model loaded twice under one name is read once', async () => {
  const before = native().stats().modelLoads;
  const first = await native().loadModel('registry-twice', fixtures.tinyEmbedding, cpu);
  const second = await native().loadModel('registry-twice', fixtures.tinyEmbedding, cpu);
  expect(first.reused).toBe(false);
  expect(second.reused).toBe(true);
  expect(native().stats().modelLoads).toBe(before + 1);
  expect(second).toMatchObject({
    name: 'registry-twice',
    device: 'cpu',
    dtype: 'fp32',
    vocabSize: 33,
    hiddenDim: 16,
  });
});

test('concurrent loads of one name read the file once', async () => {
  const before = native().stats().modelLoads;
  const infos = await Promise.all(
    [1, 2, 3].map(() => native().loadModel('registry-race', fixtures.tinyEmbedding, cpu)),
  );
  expect(infos.filter((info) => !info.reused)).toHaveLength(1);
  expect(native().stats().modelLoads).toBe(before + 1);
});

test('a different dtype under the same name replaces the model', async () => {
  await native().loadModel('registry-replace', fixtures.tinyEmbedding, cpu);
  const replaced = await native().loadModel('registry-replace', fixtures.tinyEmbedding, {
    device: 'cpu',
    dtype: 'bf16',
  });
  expect(replaced).toMatchObject({ reused: false, dtype: 'bf16' });
});

test("dtype 'auto' is the device's default: fp32 on the CPU, so an fp32 load reuses it", async () => {
  // 'auto' is accepted natively before the TypeScript Dtype names it.
  const auto = { device: 'cpu', dtype: 'auto' as Dtype };
  const first = await native().loadModel('registry-auto', fixtures.tinyEmbedding, auto);
  expect(first).toMatchObject({ reused: false, dtype: 'fp32' });
  const second = await native().loadModel('registry-auto', fixtures.tinyEmbedding, cpu);
  expect(second).toMatchObject({ reused: true, dtype: 'fp32' });
});

test('unload forgets the name, and a later load reads the file again', async () => {
  await native().loadModel('registry-unload', fixtures.tinyEmbedding, cpu);
  expect(native().stats().models).toContain('registry-unload');
  expect(native().unloadModel('registry-unload')).toBe(true);
  expect(native().unloadModel('registry-unload')).toBe(false);
  expect(native().stats().models).not.toContain('registry-unload');
  const before = native().stats().modelLoads;
  expect((await native().loadModel('registry-unload', fixtures.tinyEmbedding, cpu)).reused).toBe(false);
  expect(native().stats().modelLoads).toBe(before + 1);
});

test('clearCache is a counted no-op on a CPU build', () => {
  const before = native().stats().cacheClears;
  expect(native().clearCache()).toBe(before + 1);
  expect(native().clearCache()).toBe(before + 2);
  expect(native().stats().cacheClears).toBe(before + 2);
});

test('forward calls are counted', async () => {
  await native().loadModel('registry-count', fixtures.tinyEmbedding, cpu);
  const { tokens, mask, shape } = fixtures.reference;
  const before = native().stats().forwardCalls;
  const input = {
    tokens: Int32Array.from(tokens),
    mask: Int32Array.from(mask),
    shape,
    pooling: 'none',
  } as const;
  await native().forward('registry-count', input);
  await native().forward('registry-count', input);
  expect(native().stats().forwardCalls).toBe(before + 2);
});

test('unloading a model while its forward runs lets that forward finish', async () => {
  await native().loadModel('registry-busy', fixtures.slowEmbedding, cpu);
  const columns = 50;
  const running = native().forward('registry-busy', {
    tokens: new Int32Array(columns),
    mask: new Int32Array(columns).fill(1),
    shape: [1, columns],
    pooling: 'masked-mean',
  });
  expect(native().unloadModel('registry-busy')).toBe(true);
  await expect(running).resolves.toMatchObject({ shape: [1, 8] });
});
