"""DNABERT-S (DNABERT-2 / MosaicBERT encoder) as an inference-only module with the embedding contract.

Parameter names follow the Hugging Face BertModel of the reference code, so its state dict loads
directly. The reference removes padding, runs the feed-forward parts on real tokens only and pads
again for attention, where padded keys get a -10000 bias; computing everything padded is the same
on real tokens, because every part except attention is per token and exp(-10000) is 0 in float32
and float16. Padded output positions are zero, as after the reference's final re-padding.
"""

import math
from dataclasses import dataclass
from typing import Any, Dict, Final

import torch
from torch import nn

from .alibi import alibi_slopes
from .attention import uses_sdpa


@dataclass(frozen=True)
class DnabertSConfig:
    vocab_size: int
    dim: int
    layers: int
    heads: int
    intermediate: int
    layer_norm_eps: float = 1e-12
    type_vocab_size: int = 2

    def __post_init__(self) -> None:
        if self.dim % self.heads != 0:
            raise ValueError(f"DNABERT-S: hidden size {self.dim} is not divisible by {self.heads} heads")

    @staticmethod
    def from_hf(config: Dict[str, Any]) -> "DnabertSConfig":
        """From a Hugging Face config.json of the MosaicBERT family."""
        return DnabertSConfig(
            vocab_size=int(config["vocab_size"]),
            dim=int(config["hidden_size"]),
            layers=int(config["num_hidden_layers"]),
            heads=int(config["num_attention_heads"]),
            intermediate=int(config["intermediate_size"]),
            layer_norm_eps=float(config.get("layer_norm_eps", 1e-12)),
            type_vocab_size=int(config.get("type_vocab_size", 2)),
        )

    def to_hf(self) -> Dict[str, Any]:
        """The config.json fields the reference code reads, for writing Hugging Face folders."""
        return {
            "architectures": ["BertModel"],
            "model_type": "bert",
            "vocab_size": self.vocab_size,
            "hidden_size": self.dim,
            "num_hidden_layers": self.layers,
            "num_attention_heads": self.heads,
            "intermediate_size": self.intermediate,
            "layer_norm_eps": self.layer_norm_eps,
            "type_vocab_size": self.type_vocab_size,
            "hidden_act": "gelu",
            "hidden_dropout_prob": 0.1,
            "attention_probs_dropout_prob": 0.0,
            "alibi_starting_size": 512,
            "max_position_embeddings": 512,
            "pad_token_id": 0,
        }


class Embeddings(nn.Module):
    """Word plus token-type (always type 0) embeddings, LayerNorm; ALiBi replaces positions."""

    def __init__(self, config: DnabertSConfig):
        super().__init__()
        self.word_embeddings = nn.Embedding(config.vocab_size, config.dim)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, config.dim)
        self.LayerNorm = nn.LayerNorm(config.dim, eps=config.layer_norm_eps)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.word_embeddings(tokens) + self.token_type_embeddings.weight[0])


class SelfAttention(nn.Module):
    sdpa: Final[bool]

    def __init__(self, config: DnabertSConfig, sdpa: bool):
        super().__init__()
        self.sdpa = sdpa
        self.heads = config.heads
        self.head_dim = config.dim // config.heads
        self.Wqkv = nn.Linear(config.dim, 3 * config.dim)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        batch, length, dim = x.shape
        # The packed projection is laid out (q|k|v, head, head_dim).
        qkv = self.Wqkv(x).reshape(batch, length, 3, self.heads, self.head_dim)
        q = qkv[:, :, 0].permute(0, 2, 1, 3)
        k = qkv[:, :, 1].permute(0, 2, 1, 3)
        v = qkv[:, :, 2].permute(0, 2, 1, 3)
        if self.sdpa:
            # The default scale is 1/sqrt(head_dim); the bias is added to the scaled scores.
            attended = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=bias)
        else:
            scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(float(self.head_dim)) + bias
            probs = torch.softmax(scores, dim=-1)
            attended = torch.matmul(probs, v)
        return attended.permute(0, 2, 1, 3).reshape(batch, length, dim)


class SelfOutput(nn.Module):
    def __init__(self, config: DnabertSConfig):
        super().__init__()
        self.dense = nn.Linear(config.dim, config.dim)
        self.LayerNorm = nn.LayerNorm(config.dim, eps=config.layer_norm_eps)

    def forward(self, attended: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dense(attended) + residual)


class Attention(nn.Module):
    def __init__(self, config: DnabertSConfig, sdpa: bool):
        super().__init__()
        self.self = SelfAttention(config, sdpa)
        self.output = SelfOutput(config)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        return self.output(self.self(x, bias), x)


class GatedLinearUnitMlp(nn.Module):
    """GELU(first half) * second half of one bias-free projection, then back down, post-LN residual."""

    def __init__(self, config: DnabertSConfig):
        super().__init__()
        self.intermediate = config.intermediate
        self.gated_layers = nn.Linear(config.dim, 2 * config.intermediate, bias=False)
        self.act = nn.GELU()
        self.wo = nn.Linear(config.intermediate, config.dim)
        self.layernorm = nn.LayerNorm(config.dim, eps=config.layer_norm_eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        projected = self.gated_layers(x)
        gated = projected[:, :, : self.intermediate]
        linear = projected[:, :, self.intermediate :]
        return self.layernorm(self.wo(self.act(gated) * linear) + x)


class Layer(nn.Module):
    def __init__(self, config: DnabertSConfig, sdpa: bool):
        super().__init__()
        self.attention = Attention(config, sdpa)
        self.mlp = GatedLinearUnitMlp(config)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        return self.mlp(self.attention(x, bias))


class Encoder(nn.Module):
    def __init__(self, config: DnabertSConfig, sdpa: bool):
        super().__init__()
        self.layer = nn.ModuleList([Layer(config, sdpa) for _ in range(config.layers)])

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        for layer in self.layer:
            x = layer(x, bias)
        return x


class DnabertS(nn.Module):
    """forward(tokens [B,L] int64, attention_mask [B,L], 1 = real token) -> last hidden [B,L,dim].

    attention: 'auto', 'sdpa' or 'explicit' (virnucpro_models.attention)."""

    vocab_size: int
    hidden_dim: int
    padded_key_bias: float

    def __init__(self, config: DnabertSConfig, attention: str = "auto"):
        super().__init__()
        self.vocab_size = config.vocab_size
        self.hidden_dim = config.dim
        self.padded_key_bias = -10000.0
        self.embeddings = Embeddings(config)
        self.encoder = Encoder(config, uses_sdpa(attention))
        # Not a checkpoint entry: the slopes are a function of the head count.
        self.register_buffer("alibi_slopes", torch.tensor(alibi_slopes(config.heads)), persistent=False)

    def attention_bias(self, attention_mask: torch.Tensor) -> torch.Tensor:
        """[B,H,L,L]: -10000 on padded keys plus -slope*|i-j|, built for every input length (the
        reference grows a cached table past alibi_starting_size; the values are the same)."""
        length = attention_mask.shape[1]
        positions = torch.arange(length, device=attention_mask.device)
        distance = torch.abs(positions[None, :] - positions[:, None])
        alibi = (self.alibi_slopes[:, None, None] * -distance)[None]
        padded_keys = (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * self.padded_key_bias
        return padded_keys + alibi

    def forward(self, tokens: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        x = self.embeddings(tokens)
        hidden = self.encoder(x, self.attention_bias(attention_mask).to(x.dtype))
        return hidden * attention_mask[:, :, None].to(hidden.dtype)
