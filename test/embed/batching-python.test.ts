import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { seededRandom } from '../../bench/synthetic';
import type { Dtype } from '../../binding';
import { cpuTokenBudget, cudaTokenBudget, planBatches, splitBatch } from '../../src/embed/batching';

// The CUDA bench runs where there is no Node, so the engine's batch rules have a Python copy
// (bench/cuda/engine_batching.py). This holds the two equal: the same random inputs through both.

const root = path.resolve(__dirname, '..', '..');
const random = seededRandom(6);
const integer = (low: number, high: number): number => low + Math.floor(random() * (high - low + 1));

// Short ranges give many equal lengths (the tie order matters); budgets from below one row to many,
// and exact multiples of the longest, where a batch fills its budget to the token.
const plans = Array.from({ length: 300 }, (_, i) => {
  const longest = integer(1, 3) === 1 ? integer(1, 8) : integer(10, 1200);
  const lengths = Array.from({ length: integer(0, 80) }, () => integer(1, longest));
  const budget = [integer(1, 64), integer(64, 9000), longest * integer(1, 12)][i % 3];
  return { lengths, budget };
});
const budgets = Array.from({ length: 300 }, () => ({
  free: integer(0, 150 * 2 ** 30),
  dim: [320, 768, 2560][integer(0, 2)],
  heads: [12, 20, 40][integer(0, 2)],
  dtype: (['fp32', 'fp16', 'bf16'] as Dtype[])[integer(0, 2)],
}));

const pythonSide = `
import json, sys
sys.path.insert(0, ${JSON.stringify(path.join(root, 'bench', 'cuda'))})
from engine_batching import CPU_TOKEN_BUDGET, cuda_token_budget, plan_batches, split_batch
request = json.load(sys.stdin)
plans = [plan_batches(p["lengths"], p["budget"]) for p in request["plans"]]
json.dump({
    "cpu": CPU_TOKEN_BUDGET,
    "plans": plans,
    "splits": [[split_batch(batch) for batch in plan] for plan in plans],
    "budgets": [cuda_token_budget(b["free"], b["dim"], b["heads"], b["dtype"]) for b in request["budgets"]],
}, sys.stdout)
`;

const python = JSON.parse(
  execFileSync('python3', ['-c', pythonSide], {
    input: JSON.stringify({ plans, budgets }),
    encoding: 'utf8',
  }),
) as { cpu: number; plans: number[][][]; splits: [number[], number[]][][]; budgets: number[] };

test('planBatches and plan_batches give the same batches', () => {
  const typescript = plans.map(({ lengths, budget }) => planBatches(lengths, budget).map((b) => b.indices));
  expect(python.plans).toEqual(typescript);
  expect(typescript.flat().length).toBeGreaterThan(1000);
});

test('splitBatch and split_batch split at the same row', () => {
  const typescript = plans.map(({ lengths, budget }) =>
    planBatches(lengths, budget).map((batch) => splitBatch(batch, lengths).map((half) => half.indices)),
  );
  expect(python.splits).toEqual(typescript);
});

test('cudaTokenBudget and cuda_token_budget give the same budget; the CPU default is the same', () => {
  expect(python.budgets).toEqual(
    budgets.map(({ free, dim, heads, dtype }) => cudaTokenBudget(free, { dim, heads }, dtype)),
  );
  expect(new Set(python.budgets).size).toBeGreaterThan(20);
  expect(python.cpu).toBe(cpuTokenBudget);
});
