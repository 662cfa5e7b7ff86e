"""A BERT encoder run as plain numpy, for the ``huggingFace`` source.

Why numpy: the only model that must work offline is sentence-transformers/all-MiniLM-L6-v2
(6 layers, 384 wide, 22 M parameters). Its forward pass is a dozen matrix products per layer,
which numpy's BLAS runs as fast as torch does on two CPU cores, so the optional extra needs
only ``tokenizers`` (the same Rust tokenizer sentence-transformers uses) and the weights —
not the 700 MB of torch.

    text ──tokenizers──▶ ids (≤ max_seq_length, [CLS] … [SEP])
         ──embeddings──▶ word + position + type, LayerNorm
         ──6 × layer───▶ self-attention (12 heads) + LayerNorm, GELU MLP + LayerNorm
         ──pooling─────▶ mean over real tokens (or [CLS])  ──▶ L2-normalised vector

Weights are read from the ``model.safetensors`` file directly (an 8-byte header length,
a JSON header, then raw little-endian tensors), so the ``safetensors`` package is not needed.
Texts of a batch are padded to the longest one; padding is masked out of attention and of
mean pooling, so a text's vector does not depend on its batch-mates.
"""
from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "BF16": None}
SQRT1_2 = np.float32(0.7071067811865476)


def load_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Every tensor of a safetensors file as a float32/int64 array (memory-mapped, then copied once)."""
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    (header_len,) = struct.unpack("<Q", bytes(raw[:8]))
    header = json.loads(bytes(raw[8 : 8 + header_len]))
    base = 8 + header_len
    tensors: dict[str, np.ndarray] = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        dtype = _DTYPES.get(meta["dtype"])
        if dtype is None:
            raise ValueError(f"unsupported tensor dtype {meta['dtype']} for `{name}`")
        start, end = meta["data_offsets"]
        array = np.frombuffer(raw[base + start : base + end], dtype=dtype).reshape(meta["shape"])
        tensors[name] = array.astype(np.float32) if dtype is np.float16 else np.array(array)
    return tensors


def gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU, x·Φ(x) (``hidden_act: gelu``), in place on a float32 array.

    numpy has no erf, so Φ uses Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7, below float32's
    resolution here). Every step writes into preallocated buffers: on arrays of millions of
    activations, fresh temporaries cost more than the arithmetic.
    """
    a = np.abs(x) * SQRT1_2  # |x|/√2
    t = np.empty_like(a)
    np.multiply(a, np.float32(0.3275911), out=t)
    t += 1.0
    np.reciprocal(t, out=t)
    poly = np.full_like(t, np.float32(1.061405429))
    for c in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        poly *= t
        poly += np.float32(c)
    poly *= t
    np.square(a, out=a)
    np.minimum(a, np.float32(80.0), out=a)  # exp(-80) is still a normal float32: no denormals
    np.negative(a, out=a)
    np.exp(a, out=a)
    poly *= a  # 1 - erf(|x|/√2)
    np.subtract(np.float32(1.0), poly, out=poly)  # erf(|x|/√2)
    np.copysign(poly, x, out=poly)  # erf(x/√2)
    poly += np.float32(1.0)
    poly *= np.float32(0.5)  # Φ(x)
    poly *= x
    return poly


def layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(axis=-1, keepdims=True)
    return centred / np.sqrt(var + eps) * weight + bias


@dataclass(frozen=True)
class BertConfig:
    hidden_size: int
    num_heads: int
    num_layers: int
    layer_norm_eps: float
    max_position_embeddings: int

    @classmethod
    def from_json(cls, config: dict[str, Any]) -> BertConfig:
        return cls(
            hidden_size=int(config["hidden_size"]),
            num_heads=int(config["num_attention_heads"]),
            num_layers=int(config["num_hidden_layers"]),
            layer_norm_eps=float(config.get("layer_norm_eps", 1e-12)),
            max_position_embeddings=int(config.get("max_position_embeddings", 512)),
        )


class BertEncoder:
    """Token ids in, last hidden states out; weights named as in Hugging Face's ``BertModel``."""

    def __init__(self, config: BertConfig, tensors: dict[str, np.ndarray]) -> None:
        self.config = config
        prefix = "bert." if "bert.embeddings.word_embeddings.weight" in tensors else ""
        get = lambda name: tensors[prefix + name]
        self.word = get("embeddings.word_embeddings.weight")
        self.position = get("embeddings.position_embeddings.weight")
        self.token_type = get("embeddings.token_type_embeddings.weight")
        self.emb_ln = (get("embeddings.LayerNorm.weight"), get("embeddings.LayerNorm.bias"))
        self.layers = [self._layer(get, i) for i in range(config.num_layers)]

    def _layer(self, get: Any, i: int) -> dict[str, np.ndarray]:
        p = f"encoder.layer.{i}."
        # 1/√head_dim folded into the query projection: one scaling of q instead of one of every score
        scale = np.float32(1.0 / np.sqrt(get(p + "attention.self.query.weight").shape[0] // self.config.num_heads))
        qkv_w = np.concatenate(
            [get(p + "attention.self.query.weight") * scale]
            + [get(p + f"attention.self.{n}.weight") for n in ("key", "value")],
            axis=0,
        )
        qkv_b = np.concatenate(
            [get(p + "attention.self.query.bias") * scale]
            + [get(p + f"attention.self.{n}.bias") for n in ("key", "value")]
        )
        return {
            "qkv_w": np.ascontiguousarray(qkv_w.T), "qkv_b": qkv_b,
            "out_w": np.ascontiguousarray(get(p + "attention.output.dense.weight").T),
            "out_b": get(p + "attention.output.dense.bias"),
            "ln1_w": get(p + "attention.output.LayerNorm.weight"), "ln1_b": get(p + "attention.output.LayerNorm.bias"),
            "up_w": np.ascontiguousarray(get(p + "intermediate.dense.weight").T), "up_b": get(p + "intermediate.dense.bias"),
            "down_w": np.ascontiguousarray(get(p + "output.dense.weight").T), "down_b": get(p + "output.dense.bias"),
            "ln2_w": get(p + "output.LayerNorm.weight"), "ln2_b": get(p + "output.LayerNorm.bias"),
        }

    def forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """``ids``/``mask``: (batch, length) int arrays → (batch, length, hidden) float32."""
        batch, length = ids.shape
        eps = self.config.layer_norm_eps
        x = self.word[ids] + self.position[:length][None, :, :] + self.token_type[0][None, None, :]
        x = layer_norm(x, *self.emb_ln, eps).astype(np.float32)
        # additive mask: padded keys get a large negative score, so softmax ignores them
        bias = None
        if not mask.all():
            bias = ((1.0 - mask[:, None, None, :].astype(np.float32)) * np.float32(-1e4)).astype(np.float32)
        for layer in self.layers:
            x = self._block(x, layer, bias, batch, length, eps)
        return x

    def _block(self, x: np.ndarray, w: dict, bias: np.ndarray | None, batch: int, length: int, eps: float) -> np.ndarray:
        heads = self.config.num_heads
        width = self.config.hidden_size
        head_dim = width // heads
        flat = x.reshape(batch * length, width)
        qkv = flat @ w["qkv_w"] + w["qkv_b"]
        qkv = qkv.reshape(batch, length, 3, heads, head_dim).transpose(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        scores = q @ k.transpose(0, 1, 3, 2)
        if bias is not None:
            scores += bias
        scores -= scores.max(axis=-1, keepdims=True)
        np.maximum(scores, np.float32(-80.0), out=scores)  # keep exp() out of denormals (slow)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=-1, keepdims=True)
        context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch * length, width)
        attended = layer_norm(flat + context @ w["out_w"] + w["out_b"], w["ln1_w"], w["ln1_b"], eps)
        hidden = gelu(attended @ w["up_w"] + w["up_b"])
        out = layer_norm(attended + hidden @ w["down_w"] + w["down_b"], w["ln2_w"], w["ln2_b"], eps)
        return out.astype(np.float32, copy=False).reshape(batch, length, width)


def pool(hidden: np.ndarray, mask: np.ndarray, method: str) -> np.ndarray:
    """Sentence vectors from token vectors: ``mean`` over real tokens, or the ``cls`` token."""
    if method == "cls":
        return hidden[:, 0, :]
    weights = mask.astype(np.float32)[:, :, None]
    summed = (hidden * weights).sum(axis=1)
    return summed / np.maximum(weights.sum(axis=1), 1e-9)


def normalize(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)
