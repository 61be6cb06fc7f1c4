import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../native';
import type { RecordCall } from './prediction-files';
import type { ReportData } from './report-data';
import type { RunRecord } from './run-folder';

// report.html: one self-contained page (styles, script and data inlined; nothing fetched) showing a
// finished run: what ran, the counts, the score distribution, the warnings and the top records with
// their chunk tracks. The browser side lives in scripts/report/ (report.css, report.js).

export const RECORD_CALLS: RecordCall[] = ['virus', 'others', 'no_frame', 'empty', 'not_scored'];
const CALL_COLOURS: Record<string, string> = { virus: '#d62728', others: '#1f3b99', not_scored: '#ff9f1c' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON safe inside a <script> element: no "</script" or "<!--" can form. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

export function pageAsset(name: string): string {
  return readFileSync(path.join(packageRoot(), 'scripts', 'report', name), 'utf8');
}

function keyValues(rows: [string, string | null | undefined][], mono: string[] = []): string {
  const cells = rows
    .filter((row): row is [string, string] => row[1] !== null && row[1] !== undefined && row[1] !== '')
    .map(([key, value]) => {
      const cls = mono.includes(key) ? ' class="mono"' : '';
      return `<tr><th>${escapeHtml(key)}</th><td${cls}>${value}</td></tr>`;
    });
  return `<table class="kv">${cells.join('')}</table>`;
}

/** The histogram of best virus scores by call, with VirNucPro's 0.5 and the --min-score in use. */
export function scoreHistogramSvg(data: ReportData, minScore: number): string {
  const width = 640;
  const height = 245;
  const left = 50;
  const top = 26;
  const plotWidth = width - left - 20;
  const plotHeight = 160;
  const totals = data.bins.map((bin) => bin.virus + bin.others + bin.not_scored);
  const highest = Math.max(1, ...totals);
  const x = (score: number) => left + score * plotWidth;
  const y = (count: number) => top + plotHeight - (count / highest) * plotHeight;
  const parts: string[] = [];
  const binWidth = plotWidth / data.bins.length;
  data.bins.forEach((bin, k) => {
    let base = 0;
    for (const call of ['others', 'not_scored', 'virus'] as const) {
      const count = bin[call];
      if (count === 0) continue;
      const from = (k / data.bins.length).toFixed(2);
      const to = ((k + 1) / data.bins.length).toFixed(2);
      parts.push(
        `<rect class="bin" data-call="${call}" data-count="${count}" x="${(left + k * binWidth + 0.5).toFixed(1)}" ` +
          `y="${y(base + count).toFixed(1)}" width="${(binWidth - 1).toFixed(1)}" ` +
          `height="${(y(base) - y(base + count)).toFixed(1)}" fill="${CALL_COLOURS[call]}">` +
          `<title>${from}-${to}: ${count} ${call.replace('_', ' ')}</title></rect>`,
      );
      base += count;
    }
  });
  const ticks = [0, 0.25, 0.5, 0.75, 1].map(
    (score) =>
      `<text x="${x(score)}" y="${top + plotHeight + 14}" text-anchor="middle" font-size="11">${score}</text>`,
  );
  const threshold = (score: number, colour: string, label: string, anchor: 'start' | 'end') =>
    `<line x1="${x(score)}" x2="${x(score)}" y1="${top}" y2="${top + plotHeight}" stroke="${colour}" stroke-dasharray="4 3"/>` +
    `<text x="${x(score)}" y="${top - 6}" text-anchor="${anchor}" font-size="11" fill="${colour}">${label}</text>`;
  const lines = [threshold(0.5, '#555', "0.5 (VirNucPro's rule) ", 'end')];
  if (minScore > 0) lines.push(threshold(minScore, '#d62728', ` --min-score ${minScore}`, 'start'));
  const legend = (['virus', 'others', 'not_scored'] as const).map(
    (call, k) =>
      `<rect x="${left + k * 110}" y="${height - 22}" width="10" height="10" fill="${CALL_COLOURS[call]}"/>` +
      `<text x="${left + k * 110 + 14}" y="${height - 13}" font-size="11">${call.replace('_', ' ')}</text>`,
  );
  return (
    `<svg id="histogram" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `<line x1="${left}" x2="${left + plotWidth}" y1="${top + plotHeight}" y2="${top + plotHeight}" stroke="#888"/>` +
    `<text x="${left - 6}" y="${top + 8}" text-anchor="end" font-size="11">${highest}</text>` +
    `<text x="${left - 6}" y="${top + plotHeight}" text-anchor="end" font-size="11">0</text>` +
    `<text x="${left + plotWidth / 2}" y="${top + plotHeight + 30}" text-anchor="middle" font-size="11">best virus score of each record</text>` +
    `${parts.join('')}${ticks.join('')}${lines.join('')}${legend.join('')}</svg>`
  );
}

interface RunOptions {
  inputs?: string[];
  chunkSize?: number;
  minScore?: number;
  dtype?: string;
  devices?: unknown;
}

/** --devices as given: cpu, all, or the GPU indices. */
function describeDevices(devices: unknown): string {
  if (Array.isArray(devices)) return `GPU ${devices.join(', ')}`;
  return typeof devices === 'string' ? devices : 'cpu';
}

function runSection(run: RunRecord): string {
  const options = (run.options ?? {}) as RunOptions;
  const result = (run.result ?? {}) as { exitCode?: number; failed?: unknown[] };
  const complete = run.complete;
  const status = complete
    ? `<span class="status-ok" id="status">complete (exit ${result.exitCode ?? 0})</span>`
    : `<span class="status-bad" id="status">partial (exit ${result.exitCode ?? 2}): ${result.failed?.length ?? 0} shard(s) failed</span>`;
  const rescored = run.rescored as { at?: string; minScore?: number } | undefined;
  const timings = Object.entries(run.timings ?? {})
    .map(([stage, seconds]) => `${escapeHtml(stage)} ${seconds} s`)
    .join(', ');
  const summary = keyValues(
    [
      ['status', status],
      ['virnucpro', escapeHtml(run.version ?? '')],
      ['command', run.command ? escapeHtml(run.command.join(' ')) : 'library call'],
      ['started', escapeHtml(run.started ?? '')],
      ['ended', escapeHtml(run.ended ?? '')],
      ['resumed', run.resumed ? 'yes' : null],
      ['rescored', rescored ? escapeHtml(`${rescored.at} at --min-score ${rescored.minScore}`) : null],
      ['stage times', timings],
      ['device', escapeHtml(describeDevices(options.devices))],
      ['dtype', escapeHtml(options.dtype ?? '')],
      ['chunk size', options.chunkSize === undefined ? null : `${options.chunkSize} nt`],
      ['--min-score', String(options.minScore ?? 0)],
    ],
    ['command'],
  );
  const inputs = ((run.inputs ?? []) as { path: string; sha256: string }[])
    .map(
      (input) =>
        `<tr><td class="mono">${escapeHtml(input.path)}</td><td class="mono">${escapeHtml(input.sha256)}</td></tr>`,
    )
    .join('');
  const models = Object.entries(run.models ?? {})
    .map(
      ([name, value]) =>
        `<tr><td>${escapeHtml(name)}</td><td class="mono">${escapeHtml(JSON.stringify(value))}</td></tr>`,
    )
    .join('');
  return (
    `<section id="run"><h2>Run</h2>${summary}` +
    `<h3>Inputs</h3><table class="kv"><tr><th>file</th><th>sha256</th></tr>${inputs}</table>` +
    `<h3>Models</h3><table class="kv">${models}</table></section>`
  );
}

function count(id: string, value: number | string, label: string, cls = ''): string {
  return `<div class="count ${cls}"><b id="count-${id}">${value}</b><span>${escapeHtml(label)}</span></div>`;
}

function countsSection(data: ReportData): string {
  const percent = data.records === 0 ? 0 : (100 * data.calls.virus) / data.records;
  const cards = [
    count('records', data.records, 'records'),
    count('chunks', data.chunks, 'chunks'),
    count('frames', data.frames, 'frames scored'),
    ...RECORD_CALLS.map((call) => count(call, data.calls[call], call.replace('_', ' '), call)),
    count('percent-virus', `${percent.toFixed(2)}%`, 'of records virus'),
    count(
      'median-score',
      data.medianScore === null ? 'NA' : data.medianScore.toFixed(4),
      'median best virus score',
    ),
  ];
  return `<section id="counts"><h2>Counts</h2><div class="counts">${cards.join('')}</div></section>`;
}

function warningsSection(run: RunRecord, data: ReportData): string {
  const items: string[] = [];
  const { records, ids } = data.nonAcgt;
  if (records > 0) {
    const more = records > ids.length ? ` and ${records - ids.length} more` : '';
    items.push(
      `<li id="warning-non-acgt">${records} record(s) hold bases other than A, C, G, T (their codons were dropped, as VirNucPro does): ` +
        `<span class="mono">${ids.map(escapeHtml).join(', ')}</span>${more}</li>`,
    );
  }
  const renames = (run.renames ?? []) as { from: string; to: string }[];
  const renamed = Number((run.counts as { renamedIds?: number } | undefined)?.renamedIds ?? renames.length);
  if (renamed > 0) {
    const listed = renames.map((r) => `${escapeHtml(r.from)} \u2192 ${escapeHtml(r.to)}`).join(', ');
    const more = renamed > renames.length ? ` and ${renamed - renames.length} more (virnucpro.log)` : '';
    items.push(
      `<li id="warning-renamed">${renamed} duplicate id(s) renamed: <span class="mono">${listed}</span>${more}</li>`,
    );
  }
  const failed =
    (run.result as { failed?: { shard: string; code: string; message: string }[] } | undefined)?.failed ?? [];
  for (const failure of failed) {
    items.push(
      `<li class="warning-failed">shard ${escapeHtml(failure.shard)} failed (${escapeHtml(failure.code)}): ${escapeHtml(failure.message)}; its records are not_scored; rerun with --resume</li>`,
    );
  }
  const list =
    items.length > 0 ? `<ul class="warnings">${items.join('')}</ul>` : '<p id="no-warnings">none</p>';
  return `<section id="warnings"><h2>Warnings</h2>${list}</section>`;
}

function recordsSection(data: ReportData, rowsLimit: number): string {
  const left = data.records - data.rows.length;
  const beyond =
    left > 0
      ? `<p class="note" id="rows-left">The table holds the ${data.rows.length} top records (virus calls first, by score; --report-rows ${rowsLimit}); ` +
        `the other ${left} are in prediction_summary.tsv and their frames in prediction_results.txt.</p>`
      : '';
  const headers: [string, string][] = [
    ['id', 'record'],
    ['call', 'call'],
    ['score', 'best virus score'],
    ['length', 'length (nt)'],
    ['frames', 'frames scored'],
    ['nonAcgt', 'non-ACGT'],
    ['source', 'input'],
  ];
  const options = ['', ...RECORD_CALLS]
    .map((call) => `<option value="${call}">${call === '' ? 'any call' : call.replace('_', ' ')}</option>`)
    .join('');
  return (
    `<section id="table"><h2>Records</h2>${beyond}` +
    `<div class="controls"><label>id <input id="filter-id" type="search" placeholder="part of an id"></label>` +
    `<label>call <select id="filter-call">${options}</select></label>` +
    `<label>score from <input id="filter-min" type="number" min="0" max="1" step="0.01" size="5"></label>` +
    `<label>to <input id="filter-max" type="number" min="0" max="1" step="0.01" size="5"></label>` +
    `<span class="note" id="shown"></span></div>` +
    `<p class="note">Click a column to sort, a row to see where along the record each frame scored what.</p>` +
    `<table id="records"><thead><tr>${headers.map(([key, label]) => `<th data-key="${key}">${label}</th>`).join('')}</tr></thead>` +
    `<tbody></tbody></table><button id="more" hidden>show more</button></section>`
  );
}

export interface ReportPage {
  /** the run folder's name, or the sample's */
  name: string;
  rowsLimit: number;
}

/** The whole report page. */
export function renderReportHtml(run: RunRecord, data: ReportData, page: ReportPage): string {
  const options = (run.options ?? {}) as RunOptions;
  const minScore = options.minScore ?? 0;
  const payload = {
    chunkSize: options.chunkSize ?? null,
    minScore,
    rows: data.rows.map((row) => [
      row.id,
      row.source,
      row.length,
      row.call,
      row.score,
      row.frames,
      row.nonAcgt,
      row.track,
    ]),
  };
  const title = `virnucpro report: ${page.name}`;
  return (
    `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>${escapeHtml(title)}</title><style>${pageAsset('report.css')}</style></head><body>` +
    `<header><h1>${escapeHtml(title)}</h1><p>${data.records} records, ${data.calls.virus} called virus</p></header><main>` +
    countsSection(data) +
    `<section id="distribution"><h2>Virus score distribution</h2>${scoreHistogramSvg(data, minScore)}` +
    `<p class="note">A chunk is called virus when its best virus score reaches its best others score (VirNucPro's rule)` +
    (minScore > 0 ? ` and --min-score ${minScore}` : '') +
    `; a record is virus when any of its chunks is. Records without a scored frame are not in the histogram.</p></section>` +
    warningsSection(run, data) +
    recordsSection(data, page.rowsLimit) +
    runSection(run) +
    `</main><script type="application/json" id="report-data">${scriptJson(payload)}</script>` +
    `<script>${pageAsset('report.js')}</script></body></html>\n`
  );
}
