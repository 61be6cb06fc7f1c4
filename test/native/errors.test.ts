import path from 'node:path';
import type { ForwardInput, NativeErrorCode } from '../../binding';
import { native } from '../../src/native';
import { makeNativeFixtures, type NativeFixtures } from './native-fixtures';

let fixtures: NativeFixtures;
beforeAll(async () => {
  fixtures = makeNativeFixtures();
  await native().loadModel('errors-tiny', fixtures.tinyEmbedding, { device: 'cpu', dtype: 'fp32' });
  await native().loadModel('errors-classifier', fixtures.classifier, { device: 'cpu', dtype: 'fp32' });
});
afterAll(() => fixtures.remove());

function validInput(): ForwardInput {
  const { tokens, mask, shape } = fixtures.reference;
  return { tokens: Int32Array.from(tokens), mask: Int32Array.from(mask), shape, pooling: 'none' };
}

async function rejectionCode(promise: Promise<unknown>): Promise<NativeErrorCode> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (reason: { code: NativeErrorCode; message: string }) => reason,
  );
  expect(error.message).not.toMatch(/Exception raised from|frame #/);
  return error.code;
}

const cpu = { device: 'cpu', dtype: 'fp32' } as const;

test.each([
  ['a missing file', 'ERR_MODEL_FILE_MISSING', () => path.join(fixtures.dir, 'absent.pt')],
  ['a folder', 'ERR_MODEL_FILE_MISSING', () => fixtures.dir],
  ['a file that is not TorchScript', 'ERR_MODEL_FORMAT', () => fixtures.notTorchScript],
])('loading %s rejects with %s', async (_what, code, file) => {
  expect(await rejectionCode(native().loadModel('errors-load', file(), cpu))).toBe(code);
});

test.each([
  ['gpu', 'fp32'],
  ['cuda:0', 'fp32'],
  ['cuda:x', 'fp32'],
  ['cpu', 'fp16'],
])('device %s with dtype %s rejects with ERR_DEVICE on a CPU build', async (device, dtype) => {
  const options = { device, dtype: dtype as 'fp32' | 'fp16' };
  expect(await rejectionCode(native().loadModel('errors-device', fixtures.tinyEmbedding, options))).toBe(
    'ERR_DEVICE',
  );
});

test('an unknown model name rejects with ERR_MODEL_NOT_LOADED', async () => {
  expect(await rejectionCode(native().forward('errors-never-loaded', validInput()))).toBe(
    'ERR_MODEL_NOT_LOADED',
  );
});

test.each<[string, () => ForwardInput, NativeErrorCode]>([
  [
    'Float32Array tokens',
    () => ({ ...validInput(), tokens: new Float32Array(18) as never }),
    'ERR_INPUT_DTYPE',
  ],
  [
    'a Float64Array mask',
    () => ({ ...validInput(), mask: new Float64Array(18) as never }),
    'ERR_INPUT_DTYPE',
  ],
  ['plain-array tokens', () => ({ ...validInput(), tokens: Array(18).fill(0) as never }), 'ERR_INPUT_DTYPE'],
  ['rank 1', () => ({ ...validInput(), shape: [18] }), 'ERR_INPUT_SHAPE'],
  ['rank 3', () => ({ ...validInput(), shape: [3, 3, 2] }), 'ERR_INPUT_SHAPE'],
  ['an element count that is not rows*cols', () => ({ ...validInput(), shape: [3, 5] }), 'ERR_INPUT_SHAPE'],
  [
    'a mask shorter than the tokens',
    () => ({ ...validInput(), mask: new Int32Array(17) }),
    'ERR_INPUT_SHAPE',
  ],
  [
    'a token id equal to vocab_size',
    () => ({ ...validInput(), tokens: new Int32Array(18).fill(33) }),
    'ERR_TOKEN_RANGE',
  ],
  [
    'a negative token id',
    () => ({ ...validInput(), tokens: new Int32Array(18).fill(-1) }),
    'ERR_TOKEN_RANGE',
  ],
])('forward with %s rejects with %s', async (_what, makeInput, code) => {
  expect(await rejectionCode(native().forward('errors-tiny', makeInput()))).toBe(code);
});

test('classify with Int32Array features rejects with ERR_INPUT_DTYPE', async () => {
  const input = { features: new Int32Array(12) as never, shape: [1, 12] };
  expect(await rejectionCode(native().classify('errors-classifier', input))).toBe('ERR_INPUT_DTYPE');
});

test('an injected out-of-memory rejects forward with ERR_OUT_OF_MEMORY, only for large enough batches', async () => {
  native().injectOutOfMemory(1, 3);
  const small = {
    ...validInput(),
    tokens: new Int32Array(6),
    mask: new Int32Array(6).fill(1),
    shape: [1, 6],
  };
  await expect(native().forward('errors-tiny', small)).resolves.toBeDefined();
  expect(await rejectionCode(native().forward('errors-tiny', validInput()))).toBe('ERR_OUT_OF_MEMORY');
  await expect(native().forward('errors-tiny', validInput())).resolves.toBeDefined();
});
