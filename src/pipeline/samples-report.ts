import type { RecordCall } from './prediction-files';
import { escapeHtml, pageAsset, RECORD_CALLS } from './report-html';

// OUTDIR/report.html of `predict --samples`: one self-contained page over the sheet's samples, each row
// linking to that sample's own report.html (relative, so it opens from a file:// URL). Written with
// samples.tsv, whenever a sample ends, so it says how far a sheet got even if the sheet stops.

export interface SampleSummary {
  name: string;
  /** done, partial, failed, interrupted or pending */
  status: string;
  /** the sample's calls, when its run finished (done or partial) */
  calls: Record<RecordCall, number> | null;
  records: number | null;
  /** why the sample failed */
  error: string;
}

function row(sample: SampleSummary): string {
  const cells = [
    sample.calls === null
      ? escapeHtml(sample.name)
      : `<a href="${escapeHtml(encodeURIComponent(sample.name))}/report.html">${escapeHtml(sample.name)}</a>`,
    `<span class="status-${escapeHtml(sample.status)}">${escapeHtml(sample.status)}</span>`,
    sample.records === null ? 'NA' : String(sample.records),
    ...RECORD_CALLS.map((call) => (sample.calls === null ? 'NA' : String(sample.calls[call]))),
    sample.calls === null || !sample.records
      ? 'NA'
      : `${((100 * sample.calls.virus) / sample.records).toFixed(2)}%`,
    escapeHtml(sample.error),
  ];
  return `<tr data-sample="${escapeHtml(sample.name)}">${cells.map((cell) => `<td>${cell}</td>`).join('')}</tr>`;
}

/** The page over the sheet named `title` (the output folder's name). */
export function renderSamplesReportHtml(title: string, samples: SampleSummary[]): string {
  const done = samples.filter((sample) => sample.status === 'done').length;
  const virus = samples.reduce((sum, sample) => sum + (sample.calls?.virus ?? 0), 0);
  const records = samples.reduce((sum, sample) => sum + (sample.records ?? 0), 0);
  const headers = [
    'sample',
    'status',
    'records',
    ...RECORD_CALLS.map((call) => call.replace('_', ' ')),
    '% virus',
    'error',
  ];
  const heading = `virnucpro samples: ${title}`;
  return (
    `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>${escapeHtml(heading)}</title><style>${pageAsset('report.css')}</style></head><body>` +
    `<header><h1>${escapeHtml(heading)}</h1>` +
    `<p>${done} of ${samples.length} samples done; ${records} records, ${virus} called virus</p></header><main>` +
    `<section id="samples"><h2>Samples</h2>` +
    `<p class="note">Each sample's name opens its own report; samples.tsv beside this page lists the same.</p>` +
    `<table id="sample-table"><thead><tr>${headers.map((header) => `<th>${escapeHtml(header)}</th>`).join('')}</tr></thead>` +
    `<tbody>${samples.map(row).join('')}</tbody></table></section></main></body></html>\n`
  );
}
