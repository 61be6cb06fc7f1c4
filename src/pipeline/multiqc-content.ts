import type { ReportData } from './report-data';

// MultiQC custom content for a run folder: a General Statistics row (records, virus calls, % virus,
// median virus score) and a bar plot of the records by call, one file each (MultiQC takes one plot per
// custom-content file). MultiQC reads the `# key: value` header as YAML and the rest as a table whose
// first column is the sample name.

export const MULTIQC_GENERAL_STATS = 'virnucpro_mqc.tsv';
export const MULTIQC_CALLS = 'virnucpro_calls_mqc.tsv';
export const MULTIQC_FILES = [MULTIQC_GENERAL_STATS, MULTIQC_CALLS];

const CALLS = ['virus', 'others', 'no_frame', 'empty', 'not_scored'] as const;

/** A sample name as one TSV cell. */
function cell(name: string): string {
  return name.replace(/[\t\r\n]/g, '_');
}

function generalStats(sample: string, data: ReportData): string {
  const percent = data.records === 0 ? 0 : (100 * data.calls.virus) / data.records;
  const columns: [string, string, number][] = [
    [
      'records',
      "  title: 'Records'\n  description: 'input records (virnucpro)'\n  format: '{:,.0f}'\n  scale: 'Blues'",
      data.records,
    ],
    [
      'virus_calls',
      "  title: 'Virus calls'\n  description: 'records called virus (virnucpro)'\n  format: '{:,.0f}'\n  scale: 'Reds'",
      data.calls.virus,
    ],
    [
      'percent_virus',
      "  title: '% Virus'\n  description: 'records called virus, % of records (virnucpro)'\n  min: 0\n  max: 100\n  suffix: '%'\n  format: '{:,.2f}'\n  scale: 'Reds'",
      Number(percent.toFixed(4)),
    ],
  ];
  if (data.medianScore !== null) {
    columns.push([
      'median_virus_score',
      "  title: 'Median virus score'\n  description: 'median over scored records of the best frame P(virus) (virnucpro)'\n  min: 0\n  max: 1\n  format: '{:,.3f}'\n  scale: 'RdYlBu-rev'",
      Number(data.medianScore.toFixed(6)),
    ]);
  }
  const pconfig = columns.map(([key, config]) => `- ${key}:\n${config.replace(/^/gm, '  ')}`).join('\n');
  const header = [
    "id: 'virnucpro'",
    "section_name: 'VirNucPro'",
    "description: 'viral calls of virnucpro predict'",
    "plot_type: 'generalstats'",
    'pconfig:',
    pconfig.replace(/^/gm, '  '),
  ]
    .join('\n')
    .replace(/^/gm, '# ');
  return `${header}\nSample\t${columns.map(([key]) => key).join('\t')}\n${cell(sample)}\t${columns.map(([, , value]) => value).join('\t')}\n`;
}

function callsPlot(sample: string, data: ReportData): string {
  const header = [
    "id: 'virnucpro_calls'",
    "section_name: 'VirNucPro: records by call'",
    "description: 'records by the call of prediction_summary.tsv: virus, others, no_frame (no frame kept), empty (zero length), not_scored (its shard failed)'",
    "parent_id: 'virnucpro'",
    "parent_name: 'VirNucPro'",
    "parent_description: 'viral-sequence calls by virnucpro (VirNucPro)'",
    "plot_type: 'bargraph'",
    'pconfig:',
    "  id: 'virnucpro_calls_plot'",
    "  title: 'VirNucPro: records by call'",
    "  ylab: 'records'",
  ]
    .join('\n')
    .replace(/^/gm, '# ');
  return `${header}\nSample\t${CALLS.join('\t')}\n${cell(sample)}\t${CALLS.map((call) => data.calls[call]).join('\t')}\n`;
}

/** The custom-content files of one run, by name, for sample `sample`. */
export function multiqcContent(sample: string, data: ReportData): Record<string, string> {
  return { [MULTIQC_GENERAL_STATS]: generalStats(sample, data), [MULTIQC_CALLS]: callsPlot(sample, data) };
}
