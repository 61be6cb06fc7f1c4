"""Turning weights into exported model folders: scripted module + manifest (+ tokenizer.json)."""

import json
import os
import tempfile
from typing import Dict, Optional

import torch
from torch import nn

from . import checkpoints, manifest
from .bpe_tokenizer import special_ids, write_dna_tokenizer
from .classifier import Classifier
from .dnabert_s import DnabertS, DnabertSConfig
from .esm2 import Esm2, Esm2Config, check_shared_rotary

DNABERT_S_DIM = 768


def script(module: nn.Module) -> torch.jit.ScriptModule:
    """Scripted, not traced: the models branch on data (padding, mask tokens, input length)."""
    return torch.jit.script(module.eval())


def export_esm2_checkpoint(checkpoint_path: str, out_dir: str, repr_layer: int = -1) -> dict:
    checkpoint = checkpoints.read_esm2_checkpoint(checkpoint_path, repr_layer)
    model = Esm2(checkpoint.config)
    checkpoints.load_into(model, checkpoint.state, checkpoint_path, checkpoints.esm2_ignored(checkpoint.config))
    check_shared_rotary(model, checkpoint_path)
    arch = checkpoint.arch if checkpoint.config.output_layer == checkpoint.config.layers else (
        f"{checkpoint.arch}-layer{checkpoint.config.output_layer}"
    )
    written = manifest.esm2_manifest(checkpoint.config, arch, manifest.sha256_of_files([checkpoint_path]))
    manifest.write_model_folder(out_dir, script(model), written)
    return written


def export_dnabert_s_folder(model_dir: str, out_dir: str) -> dict:
    folder = checkpoints.read_dnabert_s_folder(model_dir)
    model = DnabertS(folder.config)
    checkpoints.load_into(model, folder.state, folder.weights_path, checkpoints.dnabert_s_ignored)
    with open(folder.tokenizer_path, encoding="utf-8") as source:
        try:
            ids = special_ids(json.load(source))
        except ValueError as error:
            raise ValueError(f"{folder.tokenizer_path}: {error}") from error
    source_sha256 = manifest.sha256_of_files([folder.weights_path])
    written = manifest.dnabert_s_manifest(folder.config, folder.arch, source_sha256, ids)
    manifest.write_model_folder(out_dir, script(model), written, {manifest.TOKENIZER_FILE: folder.tokenizer_path})
    return written


def _feature_dims(input_dim: int, dnabert_s_dim: int, source: str) -> Dict[str, int]:
    if not 0 < dnabert_s_dim < input_dim:
        raise ValueError(f"{source}: input width {input_dim} cannot hold a {dnabert_s_dim}-wide DNABERT-S block")
    return {"dnabert-s": dnabert_s_dim, "esm2": input_dim - dnabert_s_dim}


def export_classifier_checkpoint(
    checkpoint_path: str, out_dir: str, chunk_size: Optional[int] = None, dnabert_s_dim: int = DNABERT_S_DIM
) -> dict:
    state, input_dim = checkpoints.read_classifier_checkpoint(checkpoint_path)
    model = Classifier(input_dim)
    checkpoints.load_into(model, state, checkpoint_path, lambda name: False)
    chunk = chunk_size if chunk_size is not None else checkpoints.classifier_chunk_size(checkpoint_path)
    arch = f"virnucpro-mlp-{chunk}"
    dims = _feature_dims(input_dim, dnabert_s_dim, checkpoint_path)
    written = manifest.classifier_manifest(arch, manifest.sha256_of_files([checkpoint_path]), dims, chunk)
    manifest.write_model_folder(out_dir, script(model), written)
    return written


# ---- generated (random-weight) models ----

ESM2_ARCHS = {
    "esm2_t6_8M": Esm2Config(layers=6, dim=320, heads=20),
    "esm2_t12_35M": Esm2Config(layers=12, dim=480, heads=20),
    "esm2_t30_150M": Esm2Config(layers=30, dim=640, heads=20),
    "esm2_t33_650M": Esm2Config(layers=33, dim=1280, heads=20),
    "esm2_t36_3B": Esm2Config(layers=36, dim=2560, heads=40),
}
DNABERT_S_ARCHS = {
    "dnabert-s-117M": DnabertSConfig(vocab_size=4096, dim=768, layers=12, heads=12, intermediate=3072),
}
TINY_ESM2 = Esm2Config(layers=2, dim=32, heads=4)
TINY_DNABERT_S = DnabertSConfig(vocab_size=64, dim=48, layers=2, heads=4, intermediate=96)


def randomize_(module: nn.Module, generator: torch.Generator, scale: float = 0.02) -> nn.Module:
    """BERT-style random weights, drawn in place one tensor at a time: normal(0, scale) matrices
    and embeddings, small random biases, LayerNorm scales near 1. Deterministic for a seed."""
    with torch.no_grad():
        for name, tensor in module.state_dict().items():
            if not tensor.is_floating_point() or name.endswith("inv_freq"):
                continue
            if name.endswith("running_var"):
                tensor.uniform_(0.5, 1.5, generator=generator)
            elif tensor.dim() == 1 and ("norm" in name.lower() or name.startswith("bn")) and name.endswith("weight"):
                tensor.normal_(1.0, 0.1, generator=generator)
            else:
                tensor.normal_(0.0, scale if tensor.dim() > 1 else scale * 5, generator=generator)
    return module


def random_esm2(config: Esm2Config, seed: int, attention: str = "auto") -> Esm2:
    return randomize_(Esm2(config, attention), torch.Generator().manual_seed(seed))


def random_dnabert_s(config: DnabertSConfig, seed: int, attention: str = "auto") -> DnabertS:
    return randomize_(DnabertS(config, attention), torch.Generator().manual_seed(seed))


def random_classifier(input_dim: int, seed: int) -> Classifier:
    return randomize_(Classifier(input_dim), torch.Generator().manual_seed(seed), scale=0.1)


def write_random_esm2(config: Esm2Config, arch: str, out_dir: str, seed: int) -> dict:
    model = random_esm2(config, seed)
    written = manifest.esm2_manifest(config, arch, manifest.sha256_of_state_dict(model.state_dict()))
    manifest.write_model_folder(out_dir, script(model), written)
    return written


def write_random_dnabert_s(config: DnabertSConfig, arch: str, out_dir: str, seed: int) -> dict:
    model = random_dnabert_s(config, seed)
    with tempfile.TemporaryDirectory() as scratch:
        tokenizer_path = os.path.join(scratch, manifest.TOKENIZER_FILE)
        write_dna_tokenizer(tokenizer_path, config.vocab_size, seed)
        with open(tokenizer_path, encoding="utf-8") as source:
            ids = special_ids(json.load(source))
        written = manifest.dnabert_s_manifest(config, arch, manifest.sha256_of_state_dict(model.state_dict()), ids)
        manifest.write_model_folder(out_dir, script(model), written, {manifest.TOKENIZER_FILE: tokenizer_path})
    return written


def write_random_classifier(feature_dims: Dict[str, int], arch: str, out_dir: str, seed: int, chunk_size: int) -> dict:
    model = random_classifier(sum(feature_dims.values()), seed)
    written = manifest.classifier_manifest(
        arch, manifest.sha256_of_state_dict(model.state_dict()), feature_dims, chunk_size
    )
    manifest.write_model_folder(out_dir, script(model), written)
    return written


def write_tiny_set(out_dir: str, seed: int, chunk_size: int) -> Dict[str, dict]:
    """esm2/, dnabert-s/ and classifier/ with small random weights, replacing out_dir as a whole."""
    with manifest.atomic_directory(out_dir) as staging:
        return {
            "esm2": write_random_esm2(TINY_ESM2, "esm2-tiny", os.path.join(staging, "esm2"), seed),
            "dnabert-s": write_random_dnabert_s(
                TINY_DNABERT_S, "dnabert-s-tiny", os.path.join(staging, "dnabert-s"), seed + 1
            ),
            "classifier": write_random_classifier(
                {"dnabert-s": TINY_DNABERT_S.dim, "esm2": TINY_ESM2.dim},
                f"virnucpro-mlp-tiny-{chunk_size}",
                os.path.join(staging, "classifier"),
                seed + 2,
                chunk_size,
            ),
        }
