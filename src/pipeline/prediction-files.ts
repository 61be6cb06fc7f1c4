import path from 'node:path';
import { formatFloat32 } from './float32-format';

// The tables `predict` writes (docs/behaviour.md §6). The first two reproduce VirNucPro's files byte for byte;
// the summary is this project's addition so that no input record vanishes.

export const PREDICTION_RESULTS = 'prediction_results.txt';
export const HIGHEST_SCORE = 'prediction_results_highestscore.csv';
export const PREDICTION_SUMMARY = 'prediction_summary.tsv';

export const PREDICTION_HEADER = 'Sequence_ID\tPrediction\tscore1\tscore2\n';
export const HIGHEST_SCORE_HEADER = 'Modified_ID\tIs_Virus\n';
export const SUMMARY_HEADER = 'Sequence_ID\tLength\tChunks\tFrames_Scored\tMax_Virus_Score\tCall\tNon_ACGT\n';
/** The summary's last column when a run has several inputs: the input file a record came from. */
export const SOURCE_COLUMN = 'Source';

/** An input's name as the Source column writes it: the file name, one character per byte like the ids. */
export function sourceName(input: string): string {
  return Buffer.from(path.basename(input), 'utf8').toString('latin1');
}

export function summaryHeader(withSource: boolean): string {
  return withSource ? `${SUMMARY_HEADER.slice(0, -1)}\t${SOURCE_COLUMN}\n` : SUMMARY_HEADER;
}

/** Softmax output of the classifier for one frame, as float32 values. */
export interface FrameScore {
  id: string;
  /** P(others), class 0, printed as score1 */
  others: number;
  /** P(virus), class 1, printed as score2 */
  virus: number;
}

/** argmax with torch.max's tie rule: the first index, i.e. `others`. */
export function frameCall(score: FrameScore): 'virus' | 'others' {
  return Math.fround(score.virus) > Math.fround(score.others) ? 'virus' : 'others';
}

export function predictionLine(score: FrameScore): string {
  return `${score.id}\t${frameCall(score)}\t${formatFloat32(score.others)}\t${formatFloat32(score.virus)}\n`;
}

/** The frame id without its two-character frame suffix (F1..R3): the chunk id. */
export function modifiedId(frameId: string): string {
  return frameId.slice(0, -2);
}

export interface ChunkScore {
  maxOthers: number;
  maxVirus: number;
  frames: number;
}

/**
 * VirNucPro's per-chunk call: the best virus score reaches the best others score; with `minScore`
 * (--min-score) the best virus score must also reach it (0 keeps VirNucPro's rule alone).
 */
export function chunkIsVirus(chunk: ChunkScore, minScore = 0): boolean {
  return chunk.maxVirus >= chunk.maxOthers && chunk.maxVirus >= minScore;
}

/** Per-chunk maxima over the frames, grouped by Modified_ID. */
export class ChunkScores {
  readonly byChunk = new Map<string, ChunkScore>();

  add(score: FrameScore): void {
    const key = modifiedId(score.id);
    const others = Math.fround(score.others);
    const virus = Math.fround(score.virus);
    const chunk = this.byChunk.get(key);
    if (!chunk) {
      this.byChunk.set(key, { maxOthers: others, maxVirus: virus, frames: 1 });
      return;
    }
    chunk.maxOthers = Math.max(chunk.maxOthers, others);
    chunk.maxVirus = Math.max(chunk.maxVirus, virus);
    chunk.frames++;
  }

  get(chunkId: string): ChunkScore | undefined {
    return this.byChunk.get(chunkId);
  }
}

/** Code point order, which is the byte order of UTF-8 and Python's str order (pandas sorts groups so). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // a surrogate (a code point above U+FFFF) sorts after every BMP character
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/** `not_scored`: some of the record's frames were in a shard that failed (a partial run, exit code 2) */
export type RecordCall = 'virus' | 'others' | 'no_frame' | 'empty' | 'not_scored';

export interface RecordSummary {
  id: string;
  length: number;
  chunks: number;
  framesScored: number;
  /** the best P(virus) over the record's frames; null when none was scored */
  maxVirus: number | null;
  call: RecordCall;
  /** bases other than A, C, G, T (N, IUPAC codes, gaps): codons holding them were dropped */
  nonAcgt: number;
}

/**
 * One input record's outcome. The call: `empty` for a record without bases, `no_frame` when none of
 * its chunks kept a frame, `virus` when any chunk is virus by VirNucPro's per-chunk rule (the
 * Is_Virus of prediction_results_highestscore.csv), else `others`.
 */
export function summarizeRecord(
  id: string,
  length: number,
  chunkIds: string[],
  scores: ChunkScores,
  nonAcgt: number,
  minScore = 0,
): RecordSummary {
  let framesScored = 0;
  let maxVirus: number | null = null;
  let anyVirus = false;
  for (const chunkId of chunkIds) {
    const chunk = scores.get(chunkId);
    if (!chunk) continue;
    framesScored += chunk.frames;
    maxVirus = maxVirus === null ? chunk.maxVirus : Math.max(maxVirus, chunk.maxVirus);
    anyVirus ||= chunkIsVirus(chunk, minScore);
  }
  let call: RecordCall;
  if (length === 0) call = 'empty';
  else if (framesScored === 0) call = 'no_frame';
  else call = anyVirus ? 'virus' : 'others';
  return { id, length, chunks: chunkIds.length, framesScored, maxVirus, call, nonAcgt };
}

/** One summary row; `source` (the input file name) only when the run has several inputs. */
export function summaryLine(summary: RecordSummary, source: string | null = null): string {
  const score = summary.maxVirus === null ? 'NA' : formatFloat32(summary.maxVirus);
  const sourceColumn = source === null ? '' : `\t${source}`;
  return `${summary.id}\t${summary.length}\t${summary.chunks}\t${summary.framesScored}\t${score}\t${summary.call}\t${summary.nonAcgt}${sourceColumn}\n`;
}

/** One FASTA entry with its sequence on one line, as VirNucPro wrote its identified frames. */
export function fastaEntry(id: string, sequence: string): string {
  return `>${id}\n${sequence}\n`;
}

/** Biopython's FASTA writer's line width, used by VirNucPro for its chunked file. */
export const WRAPPED_FASTA_WIDTH = 60;

/** One FASTA entry with its sequence wrapped at 60 characters per line, as Biopython writes it. */
export function wrappedFastaEntry(id: string, sequence: string): string {
  let text = `>${id}\n`;
  for (let start = 0; start < sequence.length; start += WRAPPED_FASTA_WIDTH) {
    text += `${sequence.slice(start, start + WRAPPED_FASTA_WIDTH)}\n`;
  }
  return text;
}

/**
 * The name VirNucPro builds intermediate file names from: the input's name up to its first '.fa'
 * (reads.fasta.gz -> reads); names without '.fa' lose a '.gz' and their last extension.
 */
export function inputStem(file: string): string {
  const name = path.basename(file);
  const cut = name.indexOf('.fa');
  if (cut > 0) return name.slice(0, cut);
  const base = name.replace(/\.gz$/i, '');
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

/** Names of the intermediate files for an input with the given stem. */
export function intermediateNames(stem: string, chunkSize: number) {
  return {
    chunked: `${stem}_chunked${chunkSize}.fa`,
    nucleotide: `${stem}_identified_nucleotide.fa`,
    protein: `${stem}_identified_protein.faa`,
  };
}
