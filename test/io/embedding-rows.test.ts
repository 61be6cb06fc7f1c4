import path from 'node:path';
import { readEmbeddingRows, readEmbeddings, writeEmbeddingsFile } from '../../src/io/embeddings-file';
import { scratchFolder } from './scratch-folder';

// readEmbeddingRows against readEmbeddings (the whole file) as the reference.

const scratch = scratchFolder('virnucpro-embedding-rows-');

describe('readEmbeddingRows', () => {
  it('reads chosen rows, in any order and repeated, as the whole file has them', async () => {
    const file = path.join(scratch.dir, 'rows.safetensors');
    const dim = 5;
    const ids = Array.from({ length: 9 }, (_, i) => `frame_${i}`);
    const data = Float32Array.from({ length: ids.length * dim }, (_, k) => Math.sin(k) * 1000);
    const meta = { model: 'm', pooling: 'mean', dtype: 'fp32', fingerprint: 'f' };
    await writeEmbeddingsFile(file, { ids, data, dim, ...meta });
    const whole = await readEmbeddings(file);
    const rows = [8, 0, 3, 4, 5, 3, 1];
    const picked = await readEmbeddingRows(file, rows);
    expect(picked.dim).toBe(dim);
    rows.forEach((row, i) =>
      expect(Array.from(picked.data.subarray(i * dim, (i + 1) * dim))).toEqual(
        Array.from(whole.data.subarray(row * dim, (row + 1) * dim)),
      ),
    );
    await expect(readEmbeddingRows(file, [2, 9])).rejects.toThrow(/no row 9 \(9 rows\)/);
  });
});
