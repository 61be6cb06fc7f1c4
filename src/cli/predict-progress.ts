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
  tokens: number;
  started: number;
  lastLog: number;
}

function rate(counter: StageCounter): string {
  const seconds = Math.max((Date.now() - counter.started) / 1000, 1e-3);
  const perSecond = `${(counter.done / seconds).toFixed(1)} ${counter.unit}/s`;
  return counter.tokens > 0 ? `${perSecond}, ${Math.round(counter.tokens / seconds)} tokens/s` : perSecond;
}

export interface ProgressReporter {
  onEvent(event: PredictEvent): void;
  stop(): void;
}

export function createProgressReporter(tty: boolean, log: (line: string) => void): ProgressReporter {
  const counters = new Map<PredictStage, StageCounter>();
  const bars = new Map<PredictStage, SingleBar>();
  const multibar = tty
    ? new MultiBar(
        {
          format: '{stage} |{bar}| {value}/{total} {unit} | {rate} | ETA {eta_formatted}',
          hideCursor: true,
          clearOnComplete: false,
          etaBuffer: 50,
        },
        Presets.shades_classic,
      )
    : null;
  const payload = (stage: PredictStage, counter: StageCounter) => ({
    stage: LABELS[stage].padEnd(14),
    unit: counter.unit,
    rate: rate(counter),
  });
  const say = (line: string) => (multibar ? multibar.log(`${line}\n`) : log(line));

  return {
    onEvent(event) {
      switch (event.type) {
        case 'stage': {
          const counter = {
            total: event.total,
            unit: event.unit,
            done: 0,
            tokens: 0,
            started: Date.now(),
            lastLog: Date.now(),
          };
          counters.set(event.stage, counter);
          if (multibar)
            bars.set(event.stage, multibar.create(event.total ?? 0, 0, payload(event.stage, counter)));
          else
            log(
              `${LABELS[event.stage]}: started${event.total === null ? '' : ` (${event.total} ${event.unit})`}`,
            );
          break;
        }
        case 'advance': {
          const counter = counters.get(event.stage);
          if (!counter) break;
          counter.done += event.amount;
          counter.tokens += event.tokens ?? 0;
          const bar = bars.get(event.stage);
          if (bar) {
            if (counter.total === null) bar.setTotal(counter.done);
            bar.update(counter.done, payload(event.stage, counter));
          } else if (Date.now() - counter.lastLog >= 10_000) {
            counter.lastLog = Date.now();
            const of = counter.total === null ? '' : `/${counter.total}`;
            log(`${LABELS[event.stage]}: ${counter.done}${of} ${counter.unit} (${rate(counter)})`);
          }
          break;
        }
        case 'stage-done': {
          const counter = counters.get(event.stage);
          if (!counter) break;
          bars.get(event.stage)?.update(counter.done, payload(event.stage, counter));
          bars.get(event.stage)?.stop();
          if (!multibar)
            log(`${LABELS[event.stage]}: done, ${counter.done} ${counter.unit} (${rate(counter)})`);
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
    },
  };
}
