"""Forward-pass time of the numpy encoder, float64 and float32, against transformers' float32 on CPU.

    python bench/encoder.py               # 16, 128 and 512 word pieces, medians of 7, a Markdown table
    python bench/encoder.py --repeat 15   # more rounds on a busy machine

Everything runs on one thread: OpenBLAS through OPENBLAS_NUM_THREADS=1 (set here, before numpy is
imported), PyTorch through torch.set_num_threads(1). The passes are interleaved, each round in a
rotated order, so a busy machine slows all of them alike; the last column compares the fastest run
of each, the least disturbed one, when other work shares the cores. Each pass returns what the page keeps:
the numpy ones every layer's q, k, v, scores and weights and the hidden states; transformers (eager
attention) the attentions and hidden states. `Encoder.run` adds tokenizing and the trace around the
pass. Needs the model package; the transformers columns also need torch and transformers.
"""

import argparse
import ctypes
import glob
import inspect
import os
import statistics
import sys
import time
from pathlib import Path

os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["OMP_NUM_THREADS"] = "1"
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from attention.bert import cast_weights, forward  # noqa: E402
from exchange.checkpoint import load  # noqa: E402

SENTENCE = "the animal did not cross the street because it was too tired to walk any further ."
WORDS = SENTENCE.split(" ")


def blas_core():  # -> str: the OpenBLAS kernel numpy runs, or why it is unknown
    libs = glob.glob(str(Path(np.__file__).parent.parent / "numpy.libs" / "*openblas*"))
    for lib in libs:
        for name in ("scipy_openblas_get_corename64_", "openblas_get_corename64_", "openblas_get_corename"):
            fn = getattr(ctypes.CDLL(lib), name, None)
            if fn is not None:
                fn.restype = ctypes.c_char_p
                return fn().decode()
    return "unknown (no bundled OpenBLAS found)"


def text_of(encoder, n):  # -> a text the tokenizer cuts into n word pieces (n + 1 at most)
    words = []
    while len(encoder.tokenize(" ".join(words))) < n:
        words.append(WORDS[len(words) % len(WORDS)])
    return " ".join(words)


def torch_pass(encoder):  # -> callable(ids) or None
    try:
        import torch
        import transformers
    except ImportError:
        return None
    torch.set_num_threads(1)
    folder = str(encoder.folder)
    model = transformers.BertModel.from_pretrained(folder, attn_implementation="eager", local_files_only=True)
    model.eval()

    def run(ids):
        with torch.no_grad():
            model(torch.tensor(ids[None]), output_attentions=True, output_hidden_states=True)

    return run


def timings(passes, repeat):  # {name: callable} -> {name: [ms]}
    """Wall times of each pass, after one warm-up each, interleaved in rotating order."""
    names = list(passes)
    for fn in passes.values():
        fn()
    times = {name: [] for name in names}
    for r in range(repeat):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            start = time.perf_counter()
            passes[name]()
            times[name].append((time.perf_counter() - start) * 1000)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    encoder = load()
    reference = torch_pass(encoder)
    cast_weights(encoder.weights, np.float32)  # cast once, as the page's encoder does
    runs = {"run": {}, "run32": {"dtype": np.float32}}
    if "dtype" not in inspect.signature(encoder.run).parameters:
        del runs["run32"]
    tuned = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ}
    print(f"OpenBLAS kernel: {blas_core()}; one thread; {tuned or 'no OPENBLAS_CORETYPE/L2_SIZE set'}\n")
    columns = ["numpy float64", "numpy float32", "torch float32", "float32 / torch", "float64 / torch"]
    columns += ["float32 / torch, fastest runs"]
    columns += [f"Encoder.run {'float32' if name == 'run32' else 'float64'}" for name in runs]
    print("| word pieces | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for n in (16, 128, 512):
        text = text_of(encoder, n)
        ids = np.array(encoder.encode(text)[0].ids, dtype=np.int64)
        passes = {
            "f64": lambda ids=ids: forward(ids, encoder.weights, encoder.config),
            "f32": lambda ids=ids: forward(ids, encoder.weights, encoder.config, dtype=np.float32),
        }
        passes |= {name: lambda text=text, kw=kw: encoder.run(text, **kw) for name, kw in runs.items()}
        if reference:
            passes["torch"] = lambda ids=ids, ref=reference: ref(ids)
        times = timings(passes, args.repeat)
        ms = {name: statistics.median(t) for name, t in times.items()}
        best = {name: min(t) for name, t in times.items()}
        torch_ms, torch_best = ms.get("torch", float("nan")), best.get("torch", float("nan"))
        cells = [f"{ms['f64']:.1f} ms", f"{ms['f32']:.1f} ms", f"{torch_ms:.1f} ms"]
        cells += [
            f"{ms['f32'] / torch_ms:.2f}×",
            f"{ms['f64'] / torch_ms:.2f}×",
            f"{best['f32'] / torch_best:.2f}×",
        ]
        cells += [f"{ms[name]:.1f} ms" for name in runs]
        print(f"| {len(ids)} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
