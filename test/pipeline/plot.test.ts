import { chunkSpans } from '../../src/pipeline/chunk';
import { RunOverview, type ChunkCall, type PlotChunk } from '../../src/pipeline/plot';
import type { RecordCall } from '../../src/pipeline/prediction-files';

// The overview page read back from the SVG vega renders: which records have tracks, where each chunk
// segment lies and in which colour, the shaded overlaps, and the histogram and call bars.

function chunksOf(length: number, size: number, calls: ChunkCall[], score = 0.875): PlotChunk[] {
  return chunkSpans(length, size).map(([start, end], k) => ({
    start,
    end,
    call: calls[k],
    maxVirus: calls[k] === 'no_frame' ? null : calls[k] === 'virus' ? score : 0.125,
  }));
}

function add(
  overview: RunOverview,
  id: string,
  length: number,
  call: RecordCall,
  maxVirus: number | null,
  chunks: PlotChunk[] = [],
) {
  overview.add({ id, length, call, maxVirus }, () => chunks);
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

/** Full-height bands: [start, end] of the rect marks filled with `fill`. */
function bands(svg: string, fill: string): Array<[number, number]> {
  const rects =
    svg.match(/<path aria-label="position \(nt\)[^"]*"[^>]*aria-roledescription="rect mark"[^>]*>/g) ?? [];
  return rects
    .filter((rect) => rect.includes(`fill="${fill}"`))
    .map((rect) => [Number(/position \(nt\): (\d+)/.exec(rect)?.[1]), Number(/end: (\d+)/.exec(rect)?.[1])]);
}

function trackTitles(svg: string): string[] {
  return [...svg.matchAll(/>([^<>]*?) {2}\(\d+ nt, [^<>]*\)</g)].map((match) => match[1]);
}

const colour = { virus: '#d62728', others: '#1f3b99', no_frame: '#9e9e9e' };

describe('prediction plot (run overview)', () => {
  it('draws scored chunks at their real positions, no-frame chunks as grey bands, and shades overlaps, for 300 and 500 nt chunks', async () => {
    for (const size of [300, 500]) {
      const overview = new RunOverview({ count: 5 }, size);
      const contig = chunksOf(1001, size, ['others', 'virus', 'no_frame', 'virus']);
      add(overview, 'contig_1', 1001, 'virus', 0.875, contig);
      add(overview, 'read_2', 250, 'others', 0.125, chunksOf(250, size, ['others']));
      const svg = (await overview.svg()).toString();
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg).toContain(`${size} nt chunks`);
      expect(svg).toContain('contig_1  (1001 nt, virus, best 0.875)');
      const scored = [...contig, ...chunksOf(250, size, ['others'])].filter((c) => c.call !== 'no_frame');
      expect(segments(svg).sort()).toEqual(scored.map((c) => [c.start, c.end, colour[c.call]]).sort());
      // a chunk without a frame is a band, never a segment at score 0
      const noFrame = contig.filter((c) => c.call === 'no_frame').map((c) => [c.start, c.end]);
      expect(bands(svg, colour.no_frame)).toEqual(noFrame);
      const overlaps = contig
        .slice(1)
        .flatMap((c, k) => (c.start < contig[k].end ? [[c.start, contig[k].end]] : []));
      expect(overlaps.length).toBeGreaterThan(0);
      expect(bands(svg, '#f2e6c9').sort()).toEqual(overlaps.sort());
    }
  });

  it('draws the tracks of the best-scoring records, best first, ties in input order; no_frame records get none', async () => {
    const overview = new RunOverview({ count: 3 }, 300);
    const scores = [0.2, 0.9, null, 0.5, 0.9, 0.7, 0.1];
    scores.forEach((score, i) => {
      const call = score === null ? 'no_frame' : score >= 0.5 ? 'virus' : 'others';
      add(
        overview,
        `r${i}`,
        300,
        call,
        score,
        chunksOf(300, 300, [score === null ? 'no_frame' : 'virus'], score ?? 0),
      );
    });
    const svg = (await overview.svg()).toString();
    expect(trackTitles(svg)).toEqual(['r1', 'r4', 'r5']);
    expect(svg).toContain('the 3 records with the best virus scores');
  });

  it('draws the named records in input order with --plot-ids, a record without frames as such', async () => {
    const overview = new RunOverview({ ids: ['z', 'a'] }, 300);
    add(overview, 'a', 300, 'virus', 0.6, chunksOf(300, 300, ['virus'], 0.6));
    add(overview, 'b', 300, 'virus', 0.9, chunksOf(300, 300, ['virus'], 0.9));
    add(overview, 'z', 300, 'no_frame', null, chunksOf(300, 300, ['no_frame']));
    const svg = (await overview.svg()).toString();
    expect(trackTitles(svg)).toEqual(['a', 'z']);
    expect(svg).toContain('z  (300 nt, no frame)');
  });

  it('counts every record by call and bins the scored ones by their best virus score', async () => {
    const overview = new RunOverview({ count: 0 }, 300);
    add(overview, 'a', 300, 'virus', 0.97);
    add(overview, 'b', 300, 'virus', 0.96);
    add(overview, 'c', 300, 'others', 0.02);
    add(overview, 'd', 300, 'no_frame', null);
    add(overview, 'e', 0, 'empty', null);
    const { bins, calls } = overview.summary();
    expect(calls).toEqual({ virus: 2, others: 1, no_frame: 1, empty: 1, not_scored: 0 });
    expect(bins[19]).toEqual({ virus: 2, others: 0, not_scored: 0 });
    expect(bins[0]).toEqual({ virus: 0, others: 1, not_scored: 0 });
    const svg = (await overview.svg()).toString();
    expect(svg).toContain('2 records without a scored frame are not in this histogram');
    const bars = [...svg.matchAll(/aria-label="records: (\d+); call: ([a-z ]+)"/g)].map((m) => [
      m[2],
      Number(m[1]),
    ]);
    expect(Object.fromEntries(bars)).toEqual({
      virus: 2,
      others: 1,
      'no frame': 1,
      empty: 1,
      'not scored': 0,
    });
  });
});
