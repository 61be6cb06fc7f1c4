import { native } from '../../src/native';
import { makeNativeFixtures, maxAbsDiff, type NativeFixtures } from './native-fixtures';

let fixtures: NativeFixtures;
beforeAll(() => {
  fixtures = makeNativeFixtures();
});
afterAll(() => fixtures.remove());

test('setThreads sets the intra-op thread count that buildInfo reports', () => {
  native().setThreads(2);
  expect(native().buildInfo().intraopThreads).toBe(2);
  native().setThreads(1);
  expect(native().buildInfo().intraopThreads).toBe(1);
});

test('a thread count below one is refused', () => {
  expect(() => native().setThreads(0)).toThrow(expect.objectContaining({ code: 'ERR_INTERNAL' }));
});

test('forward results do not depend on the thread count', async () => {
  await native().loadModel('threads-tiny', fixtures.tinyEmbedding, { device: 'cpu', dtype: 'fp32' });
  const { tokens, mask, shape, esmMean } = fixtures.reference;
  for (const threads of [2, 1]) {
    native().setThreads(threads);
    const output = await native().forward('threads-tiny', {
      tokens: Int32Array.from(tokens),
      mask: Int32Array.from(mask),
      shape,
      pooling: 'esm-mean',
    });
    expect(maxAbsDiff(output.data, esmMean)).toBeLessThanOrEqual(1e-5);
  }
});
