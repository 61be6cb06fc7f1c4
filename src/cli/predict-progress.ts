import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { PredictEvent, PredictStage } from '../pipeline/predict';

// Progress of predict: one bar per stage on a terminal (sequences and tokens per second, ETA), plain
// timestamped lines otherwise (logs, pipes, --no-progress).

const LABELS: Record<PredictStage, string> = {
  prepare: 'chunk + frames',
  'dnabert-s': 'DNABERT-S',
  esm2: 'ESM-2',
  classify: 'classify',
  write: 'write',
};

interface StageCounter {
  total: number | null;
  unit: string;
  done: number;
  /** of `done`, what a resumed run found finished (not in the rate or the ETA) */
  skipped: number;
  tokens: number;
  /** when the first real work arrived; null before (no rate or ETA yet) */
  working: number | null;
  lastLog: number;
}

function rate(counter: StageCounter): string {
  if (counter.working === null) return counter.skipped > 0 ? `${counter.skipped} already done` : 'waiting';
  const seconds = Math.max((Date.now() - counter.working) / 1000, 1e-3);
  const perSecond = `${((counter.done - counter.skipped) / seconds).toFixed(1)} ${counter.unit}/s`;
  return counter.tokens > 0 ? `${perSecond}, ${Math.round(counter.tokens / seconds)} tokens/s` : perSecond;
}

function clock(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** The ETA from this stage's own pace: none before its work has started, or without a total. */
function eta(counter: StageCounter): string {
  const worked = counter.done - counter.skipped;
  if (counter.total === null || counter.working === null || worked <= 0) return '';
  if (counter.done >= counter.total) return '';
  const seconds = ((Date.now() - counter.working) / 1000 / worked) * (counter.total - counter.done);
  return ` | ETA ${clock(seconds)}`;
}

export interface ProgressReporter {
  onEvent(event: PredictEvent): void;
  /** ends the bars and gives the terminal back (cursor shown); later events print plain lines */
  stop(): void;
}

/**
 * `log` prints a line (and keeps it in the run's log); `keep` only keeps one: the plain line standing
 * for what a bar shows on a terminal.
 */
export function createProgressReporter(
  tty: boolean,
  log: (line: string) => void,
  keep: (line: string) => void = () => undefined,
  terminal: NodeJS.WritableStream = process.stderr,
): ProgressReporter {
  const counters = new Map<PredictStage, StageCounter>();
  const bars = new Map<PredictStage, SingleBar>();
  let multibar: MultiBar | null = tty
    ? new MultiBar(
        {
          format: '{stage} |{bar}| {value}/{total} {unit} | {rate}{remaining}',
          hideCursor: true,
          clearOnComplete: false,
          stream: terminal,
        },
        Presets.shades_classic,
      )
    : null;
  const payload = (stage: PredictStage, counter: StageCounter) => ({
    stage: LABELS[stage].padEnd(14),
    unit: counter.unit,
    rate: rate(counter),
    remaining: eta(counter),
  });
  /** a line that a bar shows on a terminal */
  const plain = (line: string) => (multibar ? keep(line) : log(line));
  const say = (line: string) => {
    if (!multibar) return log(line);
    multibar.log(`${line}\n`);
    keep(line);
  };

  return {
    onEvent(event) {
      switch (event.type) {
        case 'stage': {
          const counter: StageCounter = {
            total: event.total,
            unit: event.unit,
            done: 0,
            skipped: 0,
            tokens: 0,
            working: null,
            lastLog: Date.now(),
          };
          counters.set(event.stage, counter);
          if (multibar)
            bars.set(event.stage, multibar.create(event.total ?? 0, 0, payload(event.stage, counter)));
          plain(
            `${LABELS[event.stage]}: started${event.total === null ? '' : ` (${event.total} ${event.unit})`}`,
          );
          break;
        }
        case 'advance': {
          const counter = counters.get(event.stage);
          if (!counter) break;
          counter.done += event.amount;
          if (event.skipped) counter.skipped += event.amount;
          else counter.working ??= Date.now();
          counter.tokens += event.tokens ?? 0;
          const bar = bars.get(event.stage);
          if (bar) {
            if (counter.total === null) bar.setTotal(counter.done);
            bar.update(counter.done, payload(event.stage, counter));
          }
          if (Date.now() - counter.lastLog >= 10_000) {
            counter.lastLog = Date.now();
            const of = counter.total === null ? '' : `/${counter.total}`;
            plain(`${LABELS[event.stage]}: ${counter.done}${of} ${counter.unit} (${rate(counter)})`);
          }
          break;
        }
        case 'stage-done': {
          const counter = counters.get(event.stage);
          if (!counter) break;
          const bar = bars.get(event.stage);
          // a stage whose work was all found done still ends full
          if (bar && counter.total !== null) bar.setTotal(Math.max(counter.total, counter.done));
          bar?.update(counter.done, payload(event.stage, counter));
          bar?.stop();
          plain(`${LABELS[event.stage]}: done, ${counter.done} ${counter.unit} (${rate(counter)})`);
          break;
        }
        case 'warning':
          say(`warning: ${event.message}`);
          break;
        case 'info':
          say(event.message);
          break;
      }
    },
    stop() {
      multibar?.stop();
      multibar = null;
      bars.clear();
    },
  };
}
