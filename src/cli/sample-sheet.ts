import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { checkInputs } from '../pipeline/check-inputs';
import { PredictError } from '../pipeline/predict-errors';

// predict --samples: the sheet, a tab-separated file with a header line naming the columns `sample`
// and `input` (others are ignored), one input per row, several rows per sample allowed. Relative
// inputs are read from the sheet's folder. The whole sheet is checked before anything is created.

export interface Sample {
  /** the folder name under the output folder */
  name: string;
  /** in the order of their rows */
  inputs: string[];
}

/** Names that cannot be a sample's folder: the listing, hidden or relative names. */
export const SAMPLES_LISTING = 'samples.tsv';
const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

function sampleNameProblem(name: string): string | null {
  if (name === '') return 'empty sample name';
  if (!SAFE_NAME.test(name))
    return `sample name "${name}" is not a safe folder name (letters, digits, '.', '_', '-'; not starting with '.' or '-')`;
  if (name === SAMPLES_LISTING) return `sample name "${name}" is the listing's own name`;
  return null;
}

/** Reads and checks the sheet: every problem of every row at once, as one E_INPUT_REJECTED. */
export async function readSampleSheet(
  sheet: string,
  options: { rna: boolean; renameDuplicates: boolean },
): Promise<Sample[]> {
  let text;
  try {
    text = await readFile(sheet, 'utf8');
  } catch (error) {
    throw new PredictError(`${sheet}: cannot read the sample sheet (${(error as Error).message})`, 'E_USAGE');
  }
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').split('\t').map((name) => name.trim());
  const sampleColumn = header.indexOf('sample');
  const inputColumn = header.indexOf('input');
  if (sampleColumn === -1 || inputColumn === -1) {
    throw new PredictError(
      `${sheet}:1: the header must name the columns "sample" and "input" (tab-separated)`,
      'E_INPUT_REJECTED',
    );
  }
  const problems: string[] = [];
  const samples = new Map<string, Sample>();
  const pairs = new Map<string, number>();
  const base = path.dirname(sheet);
  lines.slice(1).forEach((line, k) => {
    const lineNumber = k + 2;
    if (line.trim() === '') return;
    const fields = line.split('\t');
    const name = (fields[sampleColumn] ?? '').trim();
    const given = (fields[inputColumn] ?? '').trim();
    const problem = (reason: string) => problems.push(`${sheet}:${lineNumber}: ${reason}`);
    const nameProblem = sampleNameProblem(name);
    if (nameProblem) return problem(nameProblem);
    if (given === '') return problem(`no input for sample "${name}"`);
    const input = path.resolve(base, given);
    const pair = `${name}\t${input}`;
    const first = pairs.get(pair);
    if (first !== undefined) return problem(`sample "${name}" lists ${given} again (first at line ${first})`);
    pairs.set(pair, lineNumber);
    if (!existsSync(input)) return problem(`${given}: no such file`);
    if (!statSync(input).isFile()) return problem(`${given}: not a file`);
    const sample = samples.get(name) ?? { name, inputs: [] };
    sample.inputs.push(input);
    samples.set(name, sample);
  });
  if (problems.length === 0 && samples.size === 0) problems.push(`${sheet}: no samples`);
  for (const sample of samples.values()) {
    try {
      await checkInputs(sample.inputs, options);
    } catch (error) {
      if (!(error instanceof PredictError)) throw error;
      problems.push(`${sheet}: sample "${sample.name}": ${error.message}`);
    }
  }
  if (problems.length > 0) {
    throw new PredictError(`the sample sheet is refused:\n${problems.join('\n')}`, 'E_INPUT_REJECTED');
  }
  return [...samples.values()];
}
