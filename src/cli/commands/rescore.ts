import type { Command } from 'commander';
import { PredictError } from '../../pipeline/predict-errors';
import { rescore } from '../../pipeline/rescore';
import { addPlotOptions, minScoreOption, plotSelection } from '../arguments';
import { describeCalls } from './predict';

export function registerRescoreCommand(program: Command): void {
  const command = program
    .command('rescore')
    .description(
      "a finished predict run's calls again under another --min-score, from its saved scores (no embedding): " +
        'rewrites prediction_results_highestscore.csv, prediction_summary.tsv, viral_hits.fa (.fq), the plot, run.json, ' +
        'report.html and the MultiQC files',
    )
    .argument('<out>', 'the output folder of a finished predict run')
    .addOption(minScoreOption(null).makeOptionMandatory());
  addPlotOptions(command, null).action(async (outDir: string, o) => {
    try {
      const plot = o.plotIds !== undefined || o.plotCount !== undefined ? plotSelection(o) : undefined;
      const result = await rescore({ outDir, minScore: o.minScore, plot });
      process.stderr.write(
        `${result.records} records at --min-score ${result.minScore}: ${describeCalls(result.calls)}; ` +
          `${result.viralHits} in ${result.viralHitsFiles.join(' and ')}\n`,
      );
    } catch (error) {
      if (!(error instanceof PredictError)) throw error;
      process.stderr.write(`virnucpro rescore: ${error.message}\n`);
      process.exitCode = error.exitCode;
    }
  });
}
