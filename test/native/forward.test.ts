import type { ForwardInput, Pooling } from '../../binding';
import { native } from '../../src/native';
import { makeNativeFixtures, maxAbsDiff, type NativeFixtures } from './native-fixtures';

let fixtures: NativeFixtures;
beforeAll(async () => {
  fixtures = makeNativeFixtures();
  await native().loadModel('forward-tiny', fixtures.tinyEmbedding, { device: 'cpu', dtype: 'fp32' });
  await native().loadModel('forward-classifier', fixtures.classifier, { device: 'cpu', dtype: 'fp32' });
});
afterAll(() => fixtures.remove());

function input(pooling: Pooling): ForwardInput {
  const { tokens, mask, shape } = fixtures.reference;
  return { tokens: Int32Array.from(tokens), mask: Int32Array.from(mask), shape, pooling };
}

test("pooling 'none' returns python3-torch's hidden states", async () => {
  const { shape, hiddenDim, hidden } = fixtures.reference;
  const output = await native().forward('forward-tiny', input('none'));
  expect(output.shape).toEqual([...shape, hiddenDim]);
  expect(maxAbsDiff(output.data, hidden)).toBeLessThanOrEqual(1e-5);
});

test.each([
  ['esm-mean', 'esmMean'],
  ['masked-mean', 'maskedMean'],
] as const)('pooling %s equals the mean python computed position by position', async (pooling, key) => {
  const output = await native().forward('forward-tiny', input(pooling));
  expect(output.shape).toEqual([fixtures.reference.shape[0], fixtures.reference.hiddenDim]);
  expect(maxAbsDiff(output.data, fixtures.reference[key])).toBeLessThanOrEqual(1e-5);
});

test('BigInt64Array tokens and a Uint8Array mask give the same result', async () => {
  const { tokens, mask, shape, esmMean } = fixtures.reference;
  const output = await native().forward('forward-tiny', {
    tokens: BigInt64Array.from(tokens, (id) => BigInt(id)),
    mask: Uint8Array.from(mask),
    shape,
    pooling: 'esm-mean',
  });
  expect(maxAbsDiff(output.data, esmMean)).toBeLessThanOrEqual(1e-5);
});

test('bf16 on the CPU computes in bf16 and returns float32 close to python3-torch in bf16', async () => {
  await native().loadModel('forward-bf16', fixtures.tinyEmbedding, { device: 'cpu', dtype: 'bf16' });
  const output = await native().forward('forward-bf16', input('none'));
  // Jest gives each test file its own realm: compare the tag, not the constructor.
  expect(Object.prototype.toString.call(output.data)).toBe('[object Float32Array]');
  expect(maxAbsDiff(output.data, fixtures.reference.hiddenBf16)).toBeLessThanOrEqual(1e-2);
});

test("classify returns python3-torch's softmax", async () => {
  const { features, featuresShape, probabilities } = fixtures.reference;
  const output = await native().classify('forward-classifier', {
    features: Float32Array.from(features),
    shape: featuresShape,
  });
  expect(output.shape).toEqual([featuresShape[0], 2]);
  expect(maxAbsDiff(output.data, probabilities)).toBeLessThanOrEqual(1e-5);
});

test('the event loop keeps running while a long forward runs', async () => {
  await native().loadModel('forward-slow', fixtures.slowEmbedding, { device: 'cpu', dtype: 'fp32' });
  const columns = 100;
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  try {
    await native().forward('forward-slow', {
      tokens: new Int32Array(columns),
      mask: new Int32Array(columns).fill(1),
      shape: [1, columns],
      pooling: 'none',
    });
  } finally {
    clearInterval(timer);
  }
  expect(ticks).toBeGreaterThan(0);
});
