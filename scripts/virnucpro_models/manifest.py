"""manifest.json for exported model folders (the schema is src/models/manifest.ts) and the atomic
writing of a whole folder."""

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from typing import Dict, Iterable, Iterator, List, Optional

import torch

from . import esm_alphabet
from .classifier import CLASSES
from .dnabert_s import DnabertSConfig
from .esm2 import Esm2Config

FORMAT = "virnucpro-model/1"
MODULE_FILE = "model.pt"
TOKENIZER_FILE = "tokenizer.json"
ESM2_MAX_POSITIONS = 1024


def sha256_of_files(paths: Iterable[str]) -> str:
    """One digest over the files' bytes in the given order."""
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as source:
            for block in iter(lambda: source.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def sha256_of_state_dict(state: Dict[str, torch.Tensor]) -> str:
    """For generated weights: a digest over every entry's name, dtype, shape and raw bytes, one
    tensor at a time (a 3B model is not serialized a second time in memory just to hash it)."""
    digest = hashlib.sha256()
    for name, tensor in state.items():
        digest.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(tensor.detach().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def _common(arch: str, source_sha256: str) -> dict:
    return {
        "format": FORMAT,
        "module": MODULE_FILE,
        "arch": arch,
        "torch_version": torch.__version__,
        "source_sha256": source_sha256,
    }


def esm2_manifest(config: Esm2Config, arch: str, source_sha256: str) -> dict:
    return {
        **_common(arch, source_sha256),
        "kind": "esm2",
        "dim": config.dim,
        "layers": config.output_layer,
        "heads": config.heads,
        "vocab_size": esm_alphabet.ALPHABET_SIZE,
        "max_positions": ESM2_MAX_POSITIONS,
        "pooling": "esm-mean",
        "tokenizer": {
            "type": "esm",
            "cls_id": esm_alphabet.CLS_ID,
            "pad_id": esm_alphabet.PAD_ID,
            "eos_id": esm_alphabet.EOS_ID,
            "unk_id": esm_alphabet.UNK_ID,
        },
    }


def dnabert_s_manifest(config: DnabertSConfig, arch: str, source_sha256: str, special_ids: Dict[str, int]) -> dict:
    return {
        **_common(arch, source_sha256),
        "kind": "dnabert-s",
        "dim": config.dim,
        "layers": config.layers,
        "heads": config.heads,
        "vocab_size": config.vocab_size,
        "max_positions": None,
        "pooling": "masked-mean",
        "tokenizer": {"type": "hf", "file": TOKENIZER_FILE, **special_ids},
    }


def classifier_manifest(
    arch: str, source_sha256: str, feature_dims: Dict[str, int], chunk_size: int
) -> dict:
    """feature_dims in concatenation order: VirNucPro puts DNABERT-S before ESM-2."""
    features: List[dict] = [{"model": model, "dim": dim} for model, dim in feature_dims.items()]
    return {
        **_common(arch, source_sha256),
        "kind": "classifier",
        "input_dim": sum(feature_dims.values()),
        "features": features,
        "classes": list(CLASSES),
        "chunk_size": chunk_size,
    }


def _is_replaceable(folder: str) -> bool:
    """Empty, a model folder, or a set of model folders: never replace anything else wholesale."""
    if not os.path.isdir(folder):
        return False
    entries = os.listdir(folder)
    if "manifest.json" in entries:
        return True
    return all(os.path.isfile(os.path.join(folder, entry, "manifest.json")) for entry in entries)


@contextlib.contextmanager
def atomic_directory(out_dir: str) -> Iterator[str]:
    """Yield a sibling staging folder that replaces out_dir when the block succeeds and is removed
    when it fails, so out_dir is always either the old complete folder or the new complete one."""
    out_dir = os.path.abspath(out_dir)
    if os.path.exists(out_dir) and not _is_replaceable(out_dir):
        raise ValueError(f"{out_dir}: exists and is not an exported model folder; refusing to replace it")
    parent = os.path.dirname(out_dir)
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=f".{os.path.basename(out_dir)}.new.", dir=parent)
    try:
        yield staging
        if os.path.exists(out_dir):
            retired = tempfile.mkdtemp(prefix=f".{os.path.basename(out_dir)}.old.", dir=parent)
            os.rename(out_dir, os.path.join(retired, "previous"))
            os.rename(staging, out_dir)
            shutil.rmtree(retired)
        else:
            os.rename(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def write_model_folder(
    out_dir: str, module: torch.jit.ScriptModule, manifest: dict, extra_files: Optional[Dict[str, str]] = None
) -> None:
    """model.pt, manifest.json and extra files (name -> source path), written atomically."""
    with atomic_directory(out_dir) as staging:
        module.save(os.path.join(staging, MODULE_FILE))
        for name, source in (extra_files or {}).items():
            shutil.copyfile(source, os.path.join(staging, name))
        with open(os.path.join(staging, "manifest.json"), "w", encoding="utf-8") as out:
            json.dump(manifest, out, indent=2)
            out.write("\n")
