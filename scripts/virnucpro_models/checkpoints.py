"""Reading the released weights: fair-esm ESM-2 checkpoints, Hugging Face DNABERT-S folders and the
VirNucPro classifier files, into a model config and a state dict named like this package's modules."""

import contextlib
import inspect
import json
import os
import pickle
import re
import sys
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterator, List, Tuple

import torch
from torch import nn

from .dnabert_s import DnabertSConfig
from .esm2 import Esm2Config
from .safetensors import load_safetensors

StateDict = Dict[str, torch.Tensor]


def torch_load(path: str, **kwargs: Any) -> Any:
    """torch.load of a trusted file that may hold pickled objects (newer torch defaults to weights only)."""
    if "weights_only" in inspect.signature(torch.load).parameters:
        kwargs["weights_only"] = False
    try:
        return torch.load(path, map_location="cpu", **kwargs)
    except (RuntimeError, pickle.UnpicklingError, EOFError, AttributeError) as error:
        raise ValueError(f"{path}: cannot read as a torch checkpoint ({error})") from error


def load_into(module: nn.Module, state: StateDict, source: str, ignored: Callable[[str], bool]) -> None:
    """Copy every parameter and buffer the module has from state; names the module lacks must be
    ones `ignored` accepts (heads and layers the export leaves out), anything else is an error."""
    expected = module.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(name for name in set(state) - set(expected) if not ignored(name))
    problems: List[str] = []
    if missing:
        problems.append(f"missing {', '.join(missing[:8])}{' ...' if len(missing) > 8 else ''}")
    if unexpected:
        problems.append(f"unexpected {', '.join(unexpected[:8])}{' ...' if len(unexpected) > 8 else ''}")
    for name, tensor in expected.items():
        if name in state and tuple(state[name].shape) != tuple(tensor.shape):
            problems.append(f"{name} has shape {tuple(state[name].shape)}, expected {tuple(tensor.shape)}")
    if problems:
        raise ValueError(f"{source}: weights do not fit the model: {'; '.join(problems)}")
    module.load_state_dict({name: state[name].to(tensor.dtype) for name, tensor in expected.items()})


# ---- ESM-2 (fair-esm) ----


@dataclass
class Esm2Checkpoint:
    config: Esm2Config
    state: StateDict
    arch: str


def _config_value(config: Any, name: str, default: Any = None) -> Any:
    value = config.get(name, default) if isinstance(config, dict) else getattr(config, name, default)
    if value is None:
        raise ValueError(f"the checkpoint's model config has no {name}")
    return value


def read_esm2_checkpoint(path: str, repr_layer: int = -1) -> Esm2Checkpoint:
    """An official fair-esm ESM-2 file: {'cfg': {'model': Namespace|dict}, 'model': state} (or an
    older {'args': Namespace}), state names under encoder.sentence_encoder. / encoder."""
    data = torch_load(path)
    if not isinstance(data, dict) or "model" not in data:
        raise ValueError(f"{path}: not a fair-esm checkpoint (expected a dict with 'model' and 'cfg')")
    if isinstance(data.get("cfg"), dict) and data["cfg"].get("model") is not None:
        model_config = data["cfg"]["model"]
    elif data.get("args") is not None:
        model_config = data["args"]
    else:
        raise ValueError(f"{path}: the checkpoint has neither cfg['model'] nor args")
    try:
        config = Esm2Config(
            layers=int(_config_value(model_config, "encoder_layers")),
            dim=int(_config_value(model_config, "encoder_embed_dim")),
            heads=int(_config_value(model_config, "encoder_attention_heads")),
            token_dropout=bool(_config_value(model_config, "token_dropout", True)),
            repr_layer=repr_layer,
        )
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from error
    prefix = re.compile(r"^(encoder\.sentence_encoder\.|encoder\.)")
    state = {prefix.sub("", name): tensor for name, tensor in data["model"].items()}
    return Esm2Checkpoint(config, state, os.path.splitext(os.path.basename(path))[0])


def esm2_ignored(config: Esm2Config) -> Callable[[str], bool]:
    """Heads (lm_head, contact_head) and, below the last layer, the layers and norm not run."""

    def ignored(name: str) -> bool:
        if name.startswith(("lm_head.", "contact_head.")):
            return True
        layer = re.match(r"^layers\.(\d+)\.", name)
        if layer is not None:
            return int(layer.group(1)) >= config.output_layer
        return name.startswith("emb_layer_norm_after.") and config.output_layer < config.layers

    return ignored


# ---- DNABERT-S (Hugging Face folder) ----

HF_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


@dataclass
class DnabertSFolder:
    config: DnabertSConfig
    state: StateDict
    weights_path: str
    tokenizer_path: str
    arch: str


def _hf_name(name: str) -> str:
    # Old BERT checkpoints call LayerNorm parameters gamma/beta.
    name = name[len("bert.") :] if name.startswith("bert.") else name
    return re.sub(r"LayerNorm\.gamma$", "LayerNorm.weight", re.sub(r"LayerNorm\.beta$", "LayerNorm.bias", name))


def read_dnabert_s_folder(model_dir: str) -> DnabertSFolder:
    config_path = os.path.join(model_dir, "config.json")
    try:
        with open(config_path, encoding="utf-8") as source:
            raw_config = json.load(source)
    except (OSError, ValueError) as error:
        raise ValueError(f"{config_path}: cannot read the model config ({error})") from error
    try:
        config = DnabertSConfig.from_hf(raw_config)
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{config_path}: not a DNABERT-S config ({error!r})") from error
    weights = [os.path.join(model_dir, name) for name in HF_WEIGHT_FILES]
    weights_path = next((path for path in weights if os.path.exists(path)), None)
    if weights_path is None:
        raise ValueError(f"{model_dir}: no {' or '.join(HF_WEIGHT_FILES)}")
    raw_state = load_safetensors(weights_path) if weights_path.endswith(".safetensors") else torch_load(weights_path)
    if not isinstance(raw_state, dict):
        raise ValueError(f"{weights_path}: not a state dict")
    tokenizer_path = os.path.join(model_dir, "tokenizer.json")
    if not os.path.exists(tokenizer_path):
        raise ValueError(f"{model_dir}: no tokenizer.json beside the weights")
    state = {_hf_name(name): tensor for name, tensor in raw_state.items()}
    arch = str(raw_config.get("_name_or_path") or os.path.basename(os.path.normpath(model_dir)))
    return DnabertSFolder(config, state, weights_path, tokenizer_path, arch)


def dnabert_s_ignored(name: str) -> bool:
    """Pooler and masked-LM heads, and the position/token-type id buffers some versions save."""
    return name.startswith(("pooler.", "cls.")) or name in ("embeddings.position_ids", "embeddings.token_type_ids")


# ---- VirNucPro classifier ----


class PickledMLPClassifier(nn.Module):
    """What `__main__.MLPClassifier` in the released files unpickles into; only its weights are used."""


@contextlib.contextmanager
def _released_class_in_main() -> Iterator[None]:
    """The released files pickle `__main__.MLPClassifier`; unpickling looks it up in whatever runs
    as __main__, so a stand-in is placed there for the duration (some torch versions ignore a
    custom pickle_module, so a custom unpickler is no way round this)."""
    main = sys.modules["__main__"]
    already = hasattr(main, "MLPClassifier")
    if not already:
        setattr(main, "MLPClassifier", PickledMLPClassifier)
    try:
        yield
    finally:
        if not already:
            delattr(main, "MLPClassifier")


def read_classifier_checkpoint(path: str) -> Tuple[StateDict, int]:
    """The released whole pickled module (300_model.pth / 500_model.pth) or a plain state dict
    (possibly under 'state_dict' / 'model_state_dict'); returns the state and the input width."""
    with _released_class_in_main():
        loaded = torch_load(path)
    if isinstance(loaded, nn.Module):
        state = loaded.state_dict()
    elif isinstance(loaded, dict):
        wrapped = [loaded[key] for key in ("state_dict", "model_state_dict") if isinstance(loaded.get(key), dict)]
        state = wrapped[0] if wrapped else loaded
    else:
        raise ValueError(f"{path}: neither a pickled classifier module nor a state dict")
    weight = state.get("hidden_layer.weight")
    if not isinstance(weight, torch.Tensor) or weight.dim() != 2:
        raise ValueError(f"{path}: no hidden_layer.weight; not a VirNucPro classifier")
    return dict(state), int(weight.shape[1])


def classifier_chunk_size(path: str) -> int:
    """The released files are named after the chunk size they were trained on: 300_model.pth, 500_model.pth."""
    match = re.match(r"^(\d+)_model\.pth$", os.path.basename(path))
    if match is None:
        raise ValueError(f"{path}: cannot tell the chunk size from the file name; pass --chunk-size")
    return int(match.group(1))
