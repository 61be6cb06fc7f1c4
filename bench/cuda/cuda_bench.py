#!/usr/bin/env python3
"""The measuring half of bench/cuda/run-cuda-bench.sh (Python with torch only, no Node).

  measure   exports random ESM-2 and DNABERT-S models with the real shapes (the 3B weights drawn on
            the GPU and stored in bf16), then, on the scripted modules the addon loads:
            the device's matmul peak per dtype, SDPA against explicit attention in fp32,
            length-sorted passes over synthetic frames in fp32, fp16 and bf16 (token budget from free
            memory after load, halved on out-of-memory as the embed engine does), bf16/fp16 against
            fp32 on the pooled embeddings and on the calls of a classifier over them.
            Writes OUTDIR/python-results.json.
  summarize merges that with the virnucpro-run reports in OUTDIR/raw into the summary file.

--cpu-smoke runs the same flow with the tiny shapes on the CPU.
"""

import argparse
import json
import os
import platform
import random
import sys
import tempfile
import time
from typing import Callable, Dict, List, Optional, Tuple

import torch
from torch import nn

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "scripts"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from virnucpro_models import esm_alphabet, export, manifest  # noqa: E402
from virnucpro_models.attention import sdpa_available  # noqa: E402
from virnucpro_models.bpe_tokenizer import CLS_ID, PAD_ID, SEP_ID, special_ids, write_dna_tokenizer  # noqa: E402
from virnucpro_models.dnabert_s import DnabertS  # noqa: E402
from virnucpro_models.esm2 import Esm2  # noqa: E402
from engine_batching import CPU_TOKEN_BUDGET, cuda_token_budget, plan_batches, split_batch  # noqa: E402

DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}
SDPA_TOLERANCE = 1e-5
ESM_MAX_POOLED = 1024
GIB = 2**30
AT_SCALE_FRAMES = 794_577


class Setup:
    def __init__(self, smoke: bool):
        self.smoke = smoke
        self.device = torch.device("cpu" if smoke else "cuda:0")
        # fp16 is CUDA-only in the addon; the smoke run still compares bf16 with fp32 on the CPU.
        self.dtypes = ["fp32", "bf16"] if smoke else ["fp32", "fp16", "bf16"]
        self.esm2_arch = "esm2-tiny" if smoke else "esm2_t36_3B"
        self.dnabert_arch = "dnabert-s-tiny" if smoke else "dnabert-s-117M"
        self.esm2_config = export.TINY_ESM2 if smoke else export.ESM2_ARCHS[self.esm2_arch]
        self.dnabert_config = export.TINY_DNABERT_S if smoke else export.DNABERT_S_ARCHS[self.dnabert_arch]
        # Batches of a real job's plan timed per dtype (fp32 is slow), and frames compared across dtypes.
        self.timed_batches = {"fp32": 1, "fp16": 3, "bf16": 3} if not smoke else {"fp32": 2, "bf16": 2}
        self.compared = 48 if smoke else 1024
        self.matmul_size = 256 if smoke else 8192
        self.peak_memory_before = 0

    def sync(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)


class Counters:
    cache_clears = 0

    @classmethod
    def empty_cache(cls) -> None:
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        cls.cache_clears += 1


# ---- models ----


def on_device(factory: Callable[[], nn.Module], device: torch.device) -> nn.Module:
    """Built directly on the device where torch has the device context (2.0+): a 3B model is drawn on
    the GPU in seconds instead of minutes of CPU initialisation."""
    if device.type == "cuda":
        with device:
            return factory()
    return factory()


def random_model(kind: str, config, attention: str, device: torch.device, seed: int) -> nn.Module:
    model_class = Esm2 if kind == "esm2" else DnabertS
    model = on_device(lambda: model_class(config, attention), device)
    return export.randomize_(model, torch.Generator(device=device).manual_seed(seed)).eval()


def store_parameters_in(model: nn.Module, dtype: torch.dtype) -> None:
    """Parameters only: buffers such as ESM-2's rotary inv_freq keep float32."""
    for parameter in model.parameters():
        parameter.data = parameter.data.to(dtype)


def write_folder(kind: str, model: nn.Module, config, arch: str, out_dir: str) -> str:
    digest = manifest.sha256_of_state_dict({k: v.cpu() for k, v in model.state_dict().items()})
    if kind == "esm2":
        manifest.write_model_folder(out_dir, export.script(model), manifest.esm2_manifest(config, arch, digest))
    else:
        with tempfile.TemporaryDirectory() as scratch:
            tokenizer = os.path.join(scratch, manifest.TOKENIZER_FILE)
            write_dna_tokenizer(tokenizer, config.vocab_size, 0)
            with open(tokenizer, encoding="utf-8") as source:
                ids = special_ids(json.load(source))
            written = manifest.dnabert_s_manifest(config, arch, digest, ids)
            manifest.write_model_folder(out_dir, export.script(model), written, {manifest.TOKENIZER_FILE: tokenizer})
    return os.path.join(out_dir, manifest.MODULE_FILE)


def non_embedding_parameters(model: nn.Module) -> int:
    return sum(p.numel() for name, p in model.named_parameters() if "embed" not in name)


# ---- frames and batches ----


# Inner tokens (specials excluded) of VirNucPro's frames: proteins of 300-500 nt chunks for ESM-2
# (60-166 residues), 38-128 BPE tokens for DNABERT-S.
INNER_LENGTHS = {"esm2": (60, 166), "dnabert-s": (38, 128)}


def frame_lengths(kind: str, count: int, seed: int) -> List[int]:
    rng = random.Random(seed)
    low, high = INNER_LENGTHS[kind]
    return [rng.randint(low, high) + 2 for _ in range(count)]


def frame_specials(kind: str, vocab_size: int) -> Tuple[int, int, Tuple[int, int]]:
    """First and last special ids and the range of ordinary ids (residues L..C; BPE ids past the specials)."""
    if kind == "esm2":
        return esm_alphabet.CLS_ID, esm_alphabet.EOS_ID, (4, 24)
    return CLS_ID, SEP_ID, (5, vocab_size)


def frame_rows(kind: str, count: int, vocab_size: int, seed: int) -> List[List[int]]:
    """Synthetic frames of frame_lengths with random residues or BPE ids and the specials at both ends."""
    first, last, ids = frame_specials(kind, vocab_size)
    rng = random.Random(seed + 1)
    return [[first] + [rng.randrange(*ids) for _ in range(n - 2)] + [last] for n in frame_lengths(kind, count, seed)]


def token_budget(setup: Setup, dim: int, heads: int, dtype: str) -> int:
    """The embed engine's budget for this device, from the free memory after load on CUDA."""
    if setup.device.type != "cuda":
        return CPU_TOKEN_BUDGET
    free, _ = torch.cuda.mem_get_info(setup.device)
    return cuda_token_budget(free, dim, heads, dtype)


def padded(rows: List[List[int]], indices: List[int], pad_id: int) -> Tuple[torch.Tensor, torch.Tensor]:
    width = max(len(rows[i]) for i in indices)
    tokens = torch.full((len(indices), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(indices), width), dtype=torch.long)
    for row, index in enumerate(indices):
        tokens[row, : len(rows[index])] = torch.tensor(rows[index])
        mask[row, : len(rows[index])] = 1
    return tokens, mask


def pool(kind: str, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """As cpp/core/pooling.cpp, in float32: ESM-2 residues 1..min(len-2, 1024); DNABERT-S every real token."""
    if kind == "esm2":
        residues = (mask.sum(1) - 2).clamp(0, ESM_MAX_POOLED).unsqueeze(1)
        positions = torch.arange(mask.shape[1], device=mask.device).unsqueeze(0)
        weights = ((positions >= 1) & (positions <= residues)).float()
    else:
        weights = (mask != 0).float()
    return torch.bmm(weights.unsqueeze(1), hidden.float()).squeeze(1) / weights.sum(1, keepdim=True).clamp_min(1)


def is_out_of_memory(error: RuntimeError) -> bool:
    return "out of memory" in str(error)


def to_device(tensor: torch.Tensor, device: torch.device) -> torch.Tensor:
    if device.type == "cuda":
        return tensor.pin_memory().to(device, non_blocking=True)
    return tensor


class Pass:
    """One length-sorted pass of a model over frames; pooled embeddings in frame order."""

    def __init__(self, setup: Setup, kind: str, module, rows: List[List[int]], budget: int, pad_id: int):
        self.setup, self.kind, self.module, self.rows, self.pad_id = setup, kind, module, rows, pad_id
        self.budget = budget
        self.batches = plan_batches([len(r) for r in rows], budget)
        self.pooled: Dict[int, torch.Tensor] = {}
        self.shapes: List[Tuple[int, int]] = []
        self.oom_splits = 0

    def run_batch(self, indices: List[int]) -> None:
        tokens, mask = padded(self.rows, indices, self.pad_id)
        try:
            with torch.inference_mode():
                device_mask = to_device(mask, self.setup.device)
                hidden = self.module(to_device(tokens, self.setup.device), device_mask)
                values = pool(self.kind, hidden, device_mask).cpu()
        except RuntimeError as error:
            if not is_out_of_memory(error) or len(indices) == 1:
                raise
            Counters.empty_cache()
            self.oom_splits += 1
            for half in split_batch(indices):
                self.run_batch(half)
            return
        self.shapes.append(tuple(tokens.shape))
        for row, index in enumerate(indices):
            self.pooled[index] = values[row]

    def run(self) -> float:
        start = time.perf_counter()
        for indices in self.batches:
            self.run_batch(indices)
        self.setup.sync()
        return time.perf_counter() - start

    def h2d_seconds(self) -> float:
        """The host-to-device copies of the pass alone (from pinned memory), for their share of it."""
        pinned = self.setup.device.type == "cuda"
        staged = [[t.pin_memory() if pinned else t for t in padded(self.rows, b, 0)] for b in self.batches]
        self.setup.sync()
        start = time.perf_counter()
        for tokens, mask in staged:
            tokens.to(self.setup.device, non_blocking=True)
            mask.to(self.setup.device, non_blocking=True)
        self.setup.sync()
        return time.perf_counter() - start


# ---- measurements ----


def matmul_peak_tflops(setup: Setup, dtype: str) -> Optional[float]:
    n = setup.matmul_size
    if setup.smoke and dtype != "fp32":
        return None  # CPU half-precision matmuls are emulated; no peak to speak of
    a = torch.randn(n, n, device=setup.device, dtype=DTYPES[dtype])
    b = torch.randn(n, n, device=setup.device, dtype=DTYPES[dtype])
    for _ in range(3):
        a @ b
    setup.sync()
    iterations = 5 if setup.smoke else (50 if dtype != "fp32" else 10)
    start = time.perf_counter()
    for _ in range(iterations):
        a @ b
    setup.sync()
    return 2 * n**3 * iterations / (time.perf_counter() - start) / 1e12


def sdpa_check(setup: Setup, kind: str, sdpa_model: nn.Module, config, seed: int) -> dict:
    """The exported (sdpa) module against an explicit-attention twin with the same weights, fp32."""
    if not sdpa_available():
        return {"skipped": f"torch {torch.__version__} has no scaled_dot_product_attention with scale (needs 2.1)"}
    explicit = random_model(kind, config, "explicit", setup.device, seed)
    explicit.load_state_dict(sdpa_model.state_dict())
    scripted = export.script(sdpa_model)
    vocab = config.vocab_size if kind == "dnabert-s" else esm_alphabet.ALPHABET_SIZE
    rows = frame_rows(kind, 16, vocab, seed + 100)
    tokens, mask = padded(rows, list(range(len(rows))), esm_alphabet.PAD_ID if kind == "esm2" else PAD_ID)
    tokens, mask = tokens.to(setup.device), mask.to(setup.device)
    with torch.inference_mode():
        reference = explicit(tokens, mask)
        fused = scripted(tokens, mask)
    real = mask.bool()
    pooled_diff = (pool(kind, fused, mask) - pool(kind, reference, mask)).abs().max().item()
    hidden_diff = (fused[real] - reference[real]).abs().max().item()
    del explicit
    return {
        "pooled_max_abs_diff": pooled_diff,
        "hidden_max_abs_diff": hidden_diff,
        "tolerance": SDPA_TOLERANCE,
        "passed": pooled_diff <= SDPA_TOLERANCE,
    }


def load_scripted(path: str, setup: Setup, dtype: str):
    """As cpp/core/torchscript_model.cpp: floating parameters and buffers cast to the dtype."""
    module = torch.jit.load(path, map_location=setup.device)
    module.eval()
    return module.to(DTYPES[dtype])


def allocator_state() -> dict:
    state = {"PYTORCH_CUDA_ALLOC_CONF": os.environ.get("PYTORCH_CUDA_ALLOC_CONF")}
    if torch.cuda.is_available():
        try:
            segments = torch.cuda.memory._snapshot().get("segments", [])
            flags = {segment.get("is_expandable") for segment in segments}
            state["segments"] = len(segments)
            state["expandable_segments_in_effect"] = flags == {True} if flags and None not in flags else None
        except (AttributeError, RuntimeError):
            state["expandable_segments_in_effect"] = None
    return state


def timed_frames(kind: str, vocab: int, budget: int, batches: int, seed: int) -> List[List[int]]:
    """The frames of `batches` evenly spaced batches of the engine's plan over a whole job's frames
    (794,577, as 1M reads give): timed batches pad as a real job's do, not as a small sample's.
    Re-planned on their own, these frames form the same batches again."""
    lengths = frame_lengths(kind, AT_SCALE_FRAMES, seed)
    plan = plan_batches(lengths, budget)
    step = len(plan) / min(batches, len(plan))
    chosen = [index for b in range(min(batches, len(plan))) for index in plan[int(b * step)]]
    rng = random.Random(seed + 1)
    first, last, ids = frame_specials(kind, vocab)
    return [[first] + [rng.randrange(*ids) for _ in range(lengths[i] - 2)] + [last] for i in chosen]


def warm_up(setup: Setup, kind: str, module, rows: List[List[int]], pad_id: int) -> None:
    """TorchScript's profiling executor specialises the first shapes it meets (two fixed ones, then
    shape-generic code): three widths, twice each, before anything is timed."""
    by_length = sorted(rows, key=len)
    for middle in (0, len(by_length) // 2, len(by_length) - 1):
        group = by_length[max(0, middle - 4) : middle + 4]
        for _ in range(2):
            Pass(setup, kind, module, group, 10**9, pad_id).run()


def measure_model(setup: Setup, kind: str, path: str, pad_id: int, vocab: int, parameters: int, config) -> dict:
    """Per dtype: a timed pass over batches of a real job's plan, then the comparison frames (the same
    for every dtype, their pooled embeddings kept)."""
    results = {}
    compared = frame_rows(kind, setup.compared, vocab, 7)
    for dtype in setup.dtypes:
        module = load_scripted(path, setup, dtype)
        if setup.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(setup.device)
        budget = token_budget(setup, config.dim, config.heads, dtype)
        frames = timed_frames(kind, vocab, budget, setup.timed_batches[dtype], 0)
        warm_up(setup, kind, module, compared, pad_id)
        run = Pass(setup, kind, module, frames, budget, pad_id)
        seconds = run.run()
        real = sum(len(r) for r in frames)
        padded_tokens = sum(rows_ * width for rows_, width in run.shapes)
        flops = sum(2 * parameters * b * w + 4 * b * w * w * config.dim * config.layers for b, w in run.shapes)
        entry = {
            "frames": len(frames),
            "token_budget": budget,
            "batches": len(run.shapes),
            "oom_splits": run.oom_splits,
            "real_tokens": real,
            "padded_tokens": padded_tokens,
            "padding_fraction": 1 - real / padded_tokens,
            "seconds": seconds,
            "tokens_per_s": real / seconds,
            "achieved_tflops": flops / seconds / 1e12,
            "h2d_copy_fraction": run.h2d_seconds() / seconds,
        }
        if setup.device.type == "cuda":
            entry["peak_allocated_gib"] = torch.cuda.max_memory_allocated(setup.device) / GIB
            entry["peak_reserved_gib"] = torch.cuda.max_memory_reserved(setup.device) / GIB
        comparison = Pass(setup, kind, module, compared, budget, pad_id)
        comparison.run()
        entry["comparison_padding_fraction"] = 1 - sum(map(len, compared)) / sum(b * w for b, w in comparison.shapes)
        entry["pooled"] = torch.stack([comparison.pooled[i] for i in range(len(compared))])
        results[dtype] = entry
        print(f"  {kind} {dtype}: {entry['tokens_per_s']:.0f} tokens/s, padding {entry['padding_fraction']:.1%}")
        del module, run, comparison
        Counters.empty_cache()
    return results


def call_agreement(classifier, esm2: dict, dnabert: dict, dtype: str, device: torch.device) -> float:
    def calls(which: str) -> torch.Tensor:
        features = torch.cat([dnabert[which]["pooled"], esm2[which]["pooled"]], dim=1).to(device)
        with torch.inference_mode():
            return classifier(features).argmax(1).cpu()

    return (calls(dtype) == calls("fp32")).float().mean().item()


def measure(args) -> int:
    setup = Setup(args.cpu_smoke)
    started = time.perf_counter()
    torch.manual_seed(0)
    results: dict = {
        "smoke": setup.smoke,
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "device": torch.cuda.get_device_name(setup.device) if setup.device.type == "cuda" else platform.processor()
        or "cpu",
        "attention": "sdpa" if sdpa_available() else "explicit",
        "models": {"esm2": setup.esm2_arch, "dnabert-s": setup.dnabert_arch},
    }
    print("== matmul peak")
    results["matmul_peak_tflops"] = {dtype: matmul_peak_tflops(setup, dtype) for dtype in DTYPES}

    print(f"== models ({results['attention']} attention) in {args.models}")
    specs = {
        "esm2": (setup.esm2_config, setup.esm2_arch, esm_alphabet.PAD_ID, esm_alphabet.ALPHABET_SIZE, 1),
        "dnabert-s": (setup.dnabert_config, setup.dnabert_arch, PAD_ID, setup.dnabert_config.vocab_size, 2),
    }
    paths, parameters, sdpa = {}, {}, {}
    for kind, (config, arch, _, _, seed) in specs.items():
        model = random_model(kind, config, "auto", setup.device, seed)
        if kind == "esm2" and not setup.smoke:
            store_parameters_in(model, torch.bfloat16)  # 3B: half the file; fp32 runs widen them exactly
            store_parameters_in(model, torch.float32)
        parameters[kind] = non_embedding_parameters(model)
        sdpa[kind] = sdpa_check(setup, kind, model, config, seed)
        print(f"  sdpa vs explicit {kind}: {sdpa[kind]}")
        if kind == "esm2" and not setup.smoke:
            store_parameters_in(model, torch.bfloat16)
        paths[kind] = write_folder(kind, model, config, arch, os.path.join(args.models, kind))
        del model
        Counters.empty_cache()
    results["sdpa_vs_explicit"] = sdpa
    results["model_paths"] = paths

    print("== passes")
    measured = {}
    for kind, (config, _, pad_id, vocab, _) in specs.items():
        measured[kind] = measure_model(setup, kind, paths[kind], pad_id, vocab, parameters[kind], config)

    classifier = export.random_classifier(setup.esm2_config.dim + setup.dnabert_config.dim, seed=3)
    classifier = export.script(classifier).to(setup.device)
    comparisons = {}
    for dtype in setup.dtypes:
        if dtype == "fp32":
            continue
        comparisons[dtype] = {
            "max_abs_diff": {
                kind: (measured[kind][dtype]["pooled"] - measured[kind]["fp32"]["pooled"]).abs().max().item()
                for kind in measured
            },
            "call_agreement": call_agreement(classifier, measured["esm2"], measured["dnabert-s"], dtype, setup.device),
            "frames": setup.compared,
        }
    for per_dtype in measured.values():
        for entry in per_dtype.values():
            del entry["pooled"]
    results.update(passes=measured, versus_fp32=comparisons, allocator=allocator_state())
    results["cache_clears"] = Counters.cache_clears
    results["seconds"] = time.perf_counter() - started
    write_json(os.path.join(args.out, "python-results.json"), results)
    return 0


# ---- summary ----


def runner_reports(out: str) -> List[dict]:
    reports = []
    index = os.path.join(out, "runs.jsonl")
    if not os.path.exists(index):
        return reports
    with open(index, encoding="utf-8") as lines:
        for line in lines:
            entry = json.loads(line)
            with open(os.path.join(out, entry["file"]), encoding="utf-8") as source:
                report = json.load(source)
            allocator = (report["build"].get("allocator") or [{}])[0]
            reports.append(
                {
                    "model": entry["model"],
                    "requested_dtype": entry["dtype"],
                    "dtype": report["dtype"],
                    "batch": report["batch"],
                    "tokens_per_s": report["tokensPerSecond"],
                    "alloc_conf": report["build"]["allocConf"],
                    "empty_cache_calls": report["cacheClears"],
                    "peak_reserved_gib": allocator.get("peakReservedBytes", 0) / GIB,
                }
            )
    return reports


def summarize(args) -> int:
    with open(os.path.join(args.out, "python-results.json"), encoding="utf-8") as source:
        results = json.load(source)
    passes, versus = results["passes"], results["versus_fp32"]
    runs = runner_reports(args.out)
    build = {}
    for name in ("core", "napi"):
        status_file = os.path.join(args.out, f"build-{name}.status")
        build[name] = open(status_file, encoding="utf-8").read().strip() if os.path.exists(status_file) else "not run"
    main_dtype = "bf16"
    esm2_main = passes["esm2"][main_dtype]
    summary = {
        "device": results["device"],
        "torch": results["torch"],
        "cuda": results["cuda"],
        "smoke": results["smoke"],
        "command": args.command,
        "models": results["models"],
        "attention": results["attention"],
    }
    for kind, key in (("esm2", "esm2_3b"), ("dnabert-s", "dnabert_s")):
        for dtype, entry in passes[kind].items():
            summary[f"{key}_{dtype}_tokens_per_s"] = entry["tokens_per_s"]
    bf16_peak = results["matmul_peak_tflops"]["bf16"]
    summary.update(
        matmul_peak_tflops=results["matmul_peak_tflops"],
        fraction_of_peak=esm2_main["achieved_tflops"] / bf16_peak if bf16_peak else None,
        bf16_vs_fp32_max_abs_diff=max(versus[main_dtype]["max_abs_diff"].values()),
        bf16_vs_fp32_call_agreement=versus[main_dtype]["call_agreement"],
        versus_fp32=versus,
        sdpa_vs_explicit=results["sdpa_vs_explicit"],
        allocator_conf=results["allocator"].get("PYTORCH_CUDA_ALLOC_CONF"),
        expandable_segments=results["allocator"].get("expandable_segments_in_effect"),
        runner_alloc_conf=sorted({run["alloc_conf"] for run in runs if run["alloc_conf"]}),
        cache_clears=results["cache_clears"] + sum(run["empty_cache_calls"] for run in runs),
        peak_memory_gib=esm2_main.get("peak_reserved_gib"),
        padding_fraction={kind: passes[kind][main_dtype]["padding_fraction"] for kind in passes},
        token_budget={kind: passes[kind][main_dtype]["token_budget"] for kind in passes},
        h2d_copy_fraction={kind: passes[kind][main_dtype]["h2d_copy_fraction"] for kind in passes},
        default_dtype=sorted({run["dtype"] for run in runs if run["requested_dtype"] == "auto"}),
        passes=passes,
        runner=runs,
        build=build,
        python_seconds=results["seconds"],
    )
    write_json(args.summary, summary)
    print(f"wrote {args.summary}")
    failed = [kind for kind, check in results["sdpa_vs_explicit"].items() if check.get("passed") is False]
    if failed:
        print(f"SDPA and explicit attention differ by more than {SDPA_TOLERANCE} for {', '.join(failed)}")
    return 1 if failed else 0


def write_json(path: str, value: dict) -> None:
    """Complete or absent: written beside the target, then renamed over it."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=os.path.dirname(os.path.abspath(path)), delete=False) as out:
        json.dump(value, out, indent=2, allow_nan=False, default=lambda v: None)
        out.write("\n")
    os.replace(out.name, path)


def main(argv) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stage", choices=["measure", "summarize"])
    parser.add_argument("--out", required=True)
    parser.add_argument("--models", help="folder for the exported models (measure)")
    parser.add_argument("--summary", help="summary file to write (summarize)")
    parser.add_argument("--command", default="", help="the command line to record (summarize)")
    parser.add_argument("--cpu-smoke", action="store_true")
    args = parser.parse_args(argv)
    return measure(args) if args.stage == "measure" else summarize(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
