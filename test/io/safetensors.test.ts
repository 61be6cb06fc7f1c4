import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  decodeSafetensors,
  encodeSafetensors,
  float32Bytes,
  readSafetensorsHeader,
  SafetensorsFormatError,
  toFloat32Array,
} from '../../src/io/safetensors';

// Expected bytes are built by hand from the format's definition, not from the encoder.
function handBuilt(json: string, data: number[]): Buffer {
  const padded = json + ' '.repeat((8 - ((8 + json.length) % 8)) % 8);
  const length = Buffer.alloc(8);
  length.writeUInt32LE(padded.length, 0); // high 4 bytes stay zero
  return Buffer.concat([length, Buffer.from(padded, 'ascii'), Buffer.from(data)]);
}

// 1.0f = 00 00 80 3f, -2.0f = 00 00 00 c0, 0.5f = 00 00 00 3f (little-endian IEEE 754)
const oneTwoHalf = [0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x00, 0x00, 0x3f];
const json =
  '{"__metadata__":{"ids":"[\\"a\\",\\"b\\",\\"c\\"]","model":"m"},' +
  '"embeddings":{"dtype":"F32","shape":[3,1],"data_offsets":[0,12]}}';

describe('safetensors', () => {
  const file = {
    tensors: {
      embeddings: {
        dtype: 'F32' as const,
        shape: [3, 1],
        data: float32Bytes(new Float32Array([1, -2, 0.5])),
      },
    },
    metadata: { ids: JSON.stringify(['a', 'b', 'c']), model: 'm' },
  };

  it('writes the documented layout: u64 LE length, space-padded JSON to 8 bytes, LE data', () => {
    const bytes = encodeSafetensors(file);
    expect(bytes.equals(handBuilt(json, oneTwoHalf))).toBe(true);
    expect((8 + Number(bytes.readBigUInt64LE(0))) % 8).toBe(0);
  });

  it('reads a hand-built file', () => {
    const decoded = decodeSafetensors(handBuilt(json, oneTwoHalf));
    expect(decoded.metadata).toEqual({ ids: '["a","b","c"]', model: 'm' });
    expect(decoded.tensors.embeddings.shape).toEqual([3, 1]);
    expect(Array.from(toFloat32Array(decoded.tensors.embeddings))).toEqual([1, -2, 0.5]);
  });

  it('reads a file whose tensors are not in offset order and that has no metadata', () => {
    const twoTensors =
      '{"b":{"dtype":"I32","shape":[1],"data_offsets":[4,8]},"a":{"dtype":"U8","shape":[2,2],"data_offsets":[0,4]}}';
    const decoded = decodeSafetensors(handBuilt(twoTensors, [1, 2, 3, 4, 7, 0, 0, 0]));
    expect(decoded.metadata).toEqual({});
    expect(Array.from(decoded.tensors.a.data)).toEqual([1, 2, 3, 4]);
    expect(Array.from(decoded.tensors.b.data)).toEqual([7, 0, 0, 0]);
  });

  it('refuses truncated data, holes, wrong sizes and absurd header lengths', () => {
    expect(() => decodeSafetensors(handBuilt(json, oneTwoHalf.slice(0, 8)))).toThrow(SafetensorsFormatError);
    const hole = '{"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}';
    expect(() => decodeSafetensors(handBuilt(hole, [0, 0]))).toThrow(/contiguous/);
    const wrongSize = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}';
    expect(() => decodeSafetensors(handBuilt(wrongSize, [0, 0, 0, 0]))).toThrow(/dtype and shape/);
    const huge = Buffer.alloc(16);
    huge.writeBigUInt64LE(1n << 40n, 0);
    expect(() => decodeSafetensors(huge)).toThrow(/exceeds/);
    expect(() => decodeSafetensors(Buffer.alloc(3))).toThrow(/shorter/);
  });

  it('reads only the header from disk and checks the size against it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'safetensors-'));
    const complete = path.join(dir, 'complete.safetensors');
    writeFileSync(complete, encodeSafetensors(file));
    const header = await readSafetensorsHeader(complete);
    const { start, ...described } = header.tensors.embeddings;
    expect(described).toEqual({ dtype: 'F32', shape: [3, 1] });
    // `start` is where the tensor's bytes begin in the file: the 8-byte length and the JSON header before it
    const bytes = readFileSync(complete);
    expect(start).toBe(8 + Number(bytes.readBigUInt64LE(0)));
    expect(bytes.subarray(start, start + 12)).toEqual(Buffer.from(file.tensors.embeddings.data));
    expect(JSON.parse(header.metadata.ids)).toEqual(['a', 'b', 'c']);
    const truncated = path.join(dir, 'truncated.safetensors');
    writeFileSync(truncated, encodeSafetensors(file).subarray(0, -1));
    await expect(readSafetensorsHeader(truncated)).rejects.toThrow(/truncated\.safetensors.*describes 12/);
  });
});
