"""ESM-2 (fair-esm's ESM2) as an inference-only module with the project's embedding contract.

Parameter names follow fair-esm's state dict after its prefix upgrade, so an official checkpoint
loads with load_state_dict. Numerics follow fair-esm: token-dropout rescale at inference, zeroed
padding, key padding mask with -inf, rotary positions on scaled queries, pre-LayerNorm blocks,
erf GELU, emb_layer_norm_after on the last layer only. The GELU is libtorch's exact (erf) one in
one pass, where fair-esm writes out x * 0.5 * (1 + erf(x / sqrt(2))): the same function, rounded
differently (vectors within 1e-5; test_esm2.py holds it), and some 15% faster per CPU forward.
"""

from dataclasses import dataclass
from typing import Final, Tuple

import torch
from torch import nn

from .attention import uses_sdpa
from .esm_alphabet import ALPHABET_SIZE, MASK_ID

# fair-esm trains with 15% of tokens selected and 80% of those masked, and rescales by it at inference.
MASK_RATIO_TRAIN = 0.15 * 0.8


@dataclass(frozen=True)
class Esm2Config:
    layers: int
    dim: int
    heads: int
    token_dropout: bool = True
    # The layer whose output is the representation; defaults to the last one.
    repr_layer: int = -1

    def __post_init__(self) -> None:
        if self.dim % self.heads != 0:
            raise ValueError(f"ESM-2: embed dim {self.dim} is not divisible by {self.heads} heads")
        if not -1 <= self.repr_layer <= self.layers:
            raise ValueError(f"ESM-2: repr layer {self.repr_layer} outside 0..{self.layers}")

    @property
    def output_layer(self) -> int:
        return self.layers if self.repr_layer == -1 else self.repr_layer


def _rotate_half(x: torch.Tensor) -> torch.Tensor:
    first, second = x.chunk(2, dim=-1)
    return torch.cat((-second, first), dim=-1)


class RotaryEmbedding(nn.Module):
    """Rotary positions over the head dim; inv_freq is a buffer as in fair-esm (its checkpoints carry it).

    The cos/sin table depends only on inv_freq and the length, so Esm2 builds it once per forward from
    layer 0's and every layer applies it (check_shared_rotary guards that all layers' inv_freq agree).
    """

    def __init__(self, head_dim: int):
        super().__init__()
        self.register_buffer("inv_freq", 1.0 / (10000 ** (torch.arange(0, head_dim, 2).float() / head_dim)))

    def table(self, length: int) -> Tuple[torch.Tensor, torch.Tensor]:
        positions = torch.arange(length, device=self.inv_freq.device).type_as(self.inv_freq)
        freqs = positions[:, None] * self.inv_freq[None, :]
        angles = torch.cat((freqs, freqs), dim=-1)
        return angles.cos()[None, :, :], angles.sin()[None, :, :]


def _apply_rotary(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    return (x * cos) + (_rotate_half(x) * sin)


class SelfAttention(nn.Module):
    sdpa: Final[bool]

    def __init__(self, dim: int, heads: int, sdpa: bool):
        super().__init__()
        self.sdpa = sdpa
        self.heads = heads
        self.head_dim = dim // heads
        self.scaling = self.head_dim**-0.5
        self.q_proj = nn.Linear(dim, dim)
        self.k_proj = nn.Linear(dim, dim)
        self.v_proj = nn.Linear(dim, dim)
        self.out_proj = nn.Linear(dim, dim)
        self.rot_emb = RotaryEmbedding(self.head_dim)

    def _split_heads(self, x: torch.Tensor) -> torch.Tensor:
        batch, length, _ = x.shape
        return x.reshape(batch, length, self.heads, self.head_dim).transpose(1, 2)

    def forward(self, x: torch.Tensor, key_padding: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        batch, length, dim = x.shape
        q = self._split_heads(self.q_proj(x) * self.scaling)
        k = self._split_heads(self.k_proj(x))
        v = self._split_heads(self.v_proj(x))
        q = _apply_rotary(q, cos, sin)
        k = _apply_rotary(k, cos, sin)
        if self.sdpa:
            # q carries the scaling already; True in a boolean mask marks a key that takes part.
            attended = nn.functional.scaled_dot_product_attention(
                q, k, v, attn_mask=~key_padding[:, None, None, :], scale=1.0
            )
        else:
            scores = torch.matmul(q, k.transpose(-1, -2))
            # In place here and in the GELU: the same values without a fresh [B,H,L,L] or [B,L,4D]
            # tensor each (fewer allocations and page faults on the CPU, measured in docs/benchmarks.md).
            scores.masked_fill_(key_padding[:, None, None, :], float("-inf"))
            probs = torch.softmax(scores.float(), dim=-1).type_as(scores)
            attended = torch.matmul(probs, v)
        return self.out_proj(attended.transpose(1, 2).reshape(batch, length, dim))


class TransformerLayer(nn.Module):
    """Pre-LayerNorm block: attention, then a 4x feed-forward with exact (erf) GELU, each with a residual."""

    def __init__(self, dim: int, heads: int, sdpa: bool):
        super().__init__()
        self.self_attn = SelfAttention(dim, heads, sdpa)
        self.self_attn_layer_norm = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, 4 * dim)
        self.fc2 = nn.Linear(4 * dim, dim)
        self.final_layer_norm = nn.LayerNorm(dim)

    def forward(self, x: torch.Tensor, key_padding: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        x = x + self.self_attn(self.self_attn_layer_norm(x), key_padding, cos, sin)
        hidden = self.fc1(self.final_layer_norm(x))
        return x + self.fc2(nn.functional.gelu(hidden))


class Esm2(nn.Module):
    """forward(tokens [B,L] int64, attention_mask [B,L]) -> representation [B,L,dim] of the chosen layer.

    Only the layers up to the representation layer are built; emb_layer_norm_after is applied only
    when that layer is the last one (an identity otherwise), as in fair-esm's repr_layers. Padding is
    what attention_mask marks; fair-esm reads it from <pad> tokens, which is the same for rows padded
    with <pad>. attention: 'auto', 'sdpa' or 'explicit' (virnucpro_models.attention).
    """

    vocab_size: int
    hidden_dim: int
    token_dropout: bool
    mask_id: int
    mask_ratio_train: float
    has_layers: Final[bool]

    def __init__(self, config: Esm2Config, attention: str = "auto"):
        super().__init__()
        sdpa = uses_sdpa(attention)
        self.vocab_size = ALPHABET_SIZE
        self.hidden_dim = config.dim
        self.token_dropout = config.token_dropout
        self.mask_id = MASK_ID
        self.mask_ratio_train = MASK_RATIO_TRAIN
        self.embed_tokens = nn.Embedding(ALPHABET_SIZE, config.dim)
        self.layers = nn.ModuleList(
            [TransformerLayer(config.dim, config.heads, sdpa) for _ in range(config.output_layer)]
        )
        self.has_layers = config.output_layer > 0
        if config.output_layer == config.layers:
            self.emb_layer_norm_after = nn.LayerNorm(config.dim)
        else:
            self.emb_layer_norm_after = nn.Identity()

    def forward(self, tokens: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        key_padding = attention_mask == 0
        x = self.embed_tokens(tokens)
        if self.token_dropout:
            is_mask = tokens == self.mask_id
            x = x.masked_fill(is_mask.unsqueeze(-1), 0.0)
            lengths = (~key_padding).sum(-1)
            mask_ratio_observed = is_mask.sum(-1).to(x.dtype) / lengths
            x = x * (1 - self.mask_ratio_train) / (1 - mask_ratio_observed)[:, None, None]
        x = x * (1 - key_padding.unsqueeze(-1).type_as(x))
        if self.has_layers:
            cos, sin = self.layers[0].self_attn.rot_emb.table(x.shape[1])
            for layer in self.layers:
                x = layer(x, key_padding, cos, sin)
        return self.emb_layer_norm_after(x)


def check_shared_rotary(model: Esm2, source: str) -> None:
    """Esm2.forward applies layer 0's rotary table in every layer: refuse weights whose layers differ."""
    if not model.has_layers:
        return
    first = model.layers[0].self_attn.rot_emb.inv_freq
    for index, layer in enumerate(model.layers):
        if not torch.equal(layer.self_attn.rot_emb.inv_freq, first):
            raise ValueError(
                f"{source}: layers.{index}.self_attn.rot_emb.inv_freq differs from layer 0's; "
                "the exported ESM-2 computes rotary positions once per forward and needs them equal"
            )
