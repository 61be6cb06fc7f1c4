import { chunkSpans } from '../../src/pipeline/chunk';
import { renderPlotSvg, wantsPlot, type ChunkCall, type PlotRecord } from '../../src/pipeline/plot';

function record(id: string, length: number, size: number, calls: ChunkCall[]): PlotRecord {
  const chunks = chunkSpans(length, size).map(([start, end], k) => ({
    start,
    end,
    call: calls[k],
    maxVirus: calls[k] === 'no_frame' ? null : calls[k] === 'virus' ? 0.875 : 0.125,
  }));
  return { id, length, call: calls.includes('virus') ? 'virus' : 'others', chunks };
}

/** The drawn chunk segments: [start, end, colour] read back from the SVG's rule marks. */
function segments(svg: string): Array<[number, number, string]> {
  const lines =
    svg.match(/<line aria-label="[^"]*"[^>]*aria-roledescription="rule mark"[^>]*stroke-width="4"[^>]*>/g) ??
    [];
  return lines.map((line) => {
    const label = /aria-label="([^"]*)"/.exec(line)?.[1] ?? '';
    const start = Number(/start: (\d+)/.exec(label)?.[1]);
    const end = Number(/end: (\d+)/.exec(label)?.[1]);
    return [start, end, /stroke="(#[0-9a-f]{6})"/.exec(line)?.[1] ?? ''];
  });
}

describe('prediction plot', () => {
  it('draws every chunk at its position, coloured by call, one row per record, for 300 and 500 nt chunks', async () => {
    for (const size of [300, 500]) {
      const records = [
        record('contig_1', 1001, size, ['others', 'virus', 'no_frame', 'virus']),
        record('read_2', 250, size, ['others']),
      ];
      const svg = (await renderPlotSvg(records, size)).toString();
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg).toContain(`${size} nt chunks`);
      expect(svg).toContain('contig_1  (1001 nt, virus)');
      expect(svg).toContain('read_2  (250 nt, others)');
      const colour = { virus: '#d62728', others: '#1f3b99', no_frame: '#9e9e9e' };
      const expected = records.flatMap((r) => r.chunks.map((c) => [c.start, c.end, colour[c.call]]));
      expect(segments(svg).sort()).toEqual(expected.sort());
    }
  });

  it('selects the first N records or the named ids', () => {
    expect(wantsPlot({ count: 2 }, 'a', 1)).toBe(true);
    expect(wantsPlot({ count: 2 }, 'a', 2)).toBe(false);
    expect(wantsPlot({ ids: ['x'] }, 'x', 99)).toBe(true);
    expect(wantsPlot({ ids: ['x'] }, 'y', 0)).toBe(false);
  });
});
