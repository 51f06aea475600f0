"""The guided lesson's steps, in order: what each says, the settings it applies, what to look at.

Every step applies a whole state (the lesson's sentence and defaults plus its own changes), so a
step opened from a link, with Next or with Back always shows the same maps. A step with a question
asks for a prediction first; its `reveal` changes are applied when the learner has answered.

A question is graded only when the page determines its answer whatever the seed (the mechanism,
not the random draw: tests/test_lesson_reveal.py runs each over seeds 0 to 19). One whose answer
is the random weights' is an observation: the learner still guesses first, then sees what happened,
and nothing is counted right or wrong.
"""

from dataclasses import dataclass, field

from attention import Settings

SENTENCE = "The animal didn't cross the street because it was too tired"
SHORT = "The animal didn't cross the street because"  # the sentence before "it" is asked about
BASE = Settings(sentence=SENTENCE)  # every other setting at its default: d_k 16, one head, seed 0
WORD = "it"  # the word whose row the lesson follows
KEY = "animal"  # the word a trained model's "it" should find


@dataclass(frozen=True)
class Question:
    """A prediction: the learner picks one of `choices` before `reveal` is applied to the page."""

    kind: str  # "top_key" (the tokens are the choices), "sharpness", "first_row" or "shuffle"
    prompt: str
    choices: dict = field(default_factory=dict)  # answer -> label
    reveal: dict = field(default_factory=dict)  # settings changed once the learner has answered
    graded: bool = True  # False: the answer depends on the random weights, so none is right or wrong


@dataclass(frozen=True)
class Step:
    title: str
    text: str
    look: str  # what to look at on the maps
    changes: dict = field(default_factory=dict)  # settings over BASE
    focus: str | None = None  # "word": the row of WORD is outlined; "first": the first row
    question: Question | None = None
    numbers: str | None = None  # live numbers under the text: "lab", "row", "heads" or "model"
    tab: str | None = None  # the tab the step opens below the maps

    @property
    def settings(self):
        return BASE.replace(**self.changes)


STEPS = (
    Step(
        "Tokens and X",
        "The sentence is split at spaces into tokens, and each token becomes one row of **X**: "
        "d_model = 16 numbers. Here each word gets a fixed random vector (the same word, the same "
        "vector); a trained model learns them.",
        "one row and one column per token in each of the three maps below, in the sentence's order.",
        changes={"sentence": SHORT},  # up to 10 tokens the three maps share a row: all on screen
    ),
    Step(
        "Queries, keys and values",
        "Three matrices turn each row of X into a **query** (what the word looks for), a **key** "
        "(what it offers) and a **value** (what it passes on): Q = X·W_Q, K = X·W_K, V = X·W_V, "
        "each d_k = 16 numbers wide per word.",
        "the maps below start from their product, Q·Kᵀ (the Step by step tab draws X, W_Q and Q).",
        changes={"sentence": SHORT},
    ),
    Step(
        "Scores",
        "Each score is a dot product q_i · k_j: how well word i's query matches word j's key; softmax "
        "turns each row of scores into weights. The sentence stops short of “it” for now.",
        "the new row of “it” after your guess (outlined in blue on the weights).",
        changes={"sentence": SHORT},
        focus="word",
        question=Question(
            "top_key",
            "“it was too tired” joins next: which word will “it” attend to most? The random weights "
            "decide, so no answer is right or wrong.",
            reveal={"sentence": SENTENCE},
            graded=False,
        ),
    ),
    Step(
        "Wider heads, no scaling",
        "Now the scores go to softmax as they are, without the division by √d_k. Raw scores are sums "
        "of d_k products, so the wider the queries and keys, the bigger the gaps between scores.",
        "the weights map: how many rows have one bright cell and nothing else.",
        changes={"scaling": False},
        question=Question(
            "sharpness",
            "d_k goes from 16 to 256, still without ÷√d_k. The weights will get…",
            {
                "sharper": "sharper (one word takes it all)",
                "flatter": "flatter (spread evenly)",
                "same": "about the same",
            },  # fmt: skip
            reveal={"d_k": 256, "scaling": False},
        ),
    ),
    Step(
        "Saturation, and the fix",
        "A row whose largest weight is above 0.95 is **saturated**: softmax's gradient there is almost "
        "zero, so training cannot change which word it picks. Dividing by √d_k = 16 brings the scores' "
        "spread back to about 1 at any width (the Scaling lab tab measures it).",
        "the rows spread out again; switch “Divide by √d_k” off and on above to compare.",
        changes={"d_k": 256},
        numbers="lab",
    ),
    Step(
        "Softmax rows",
        "Softmax turns each row of scaled scores into weights: exponentiate, then divide by the row's "
        "sum. Every weight is positive and every row sums to 1: one word's attention, shared out.",
        "the row of “it” on the weights map, and its numbers here.",
        focus="word",
        numbers="row",
    ),
    Step(
        "Masks",
        "A mask decides which keys a query may see. A **causal** mask, used to generate text, lets "
        "each word see only itself and the words before it.",
        "the first row of the weights map (outlined in blue).",
        focus="first",
        question=Question(
            "first_row",
            "With a causal mask, the first word's row of weights will…",
            {
                "itself": "put all its weight (1.0) on the first word itself",
                "blank": "be empty: nothing to attend to",
                "spread": "still spread over every word",
            },  # fmt: skip
            reveal={"mask": "causal"},
        ),
    ),
    Step(
        "Word order",
        "Nothing so far knew where a word stands: X has no positions unless position vectors are "
        "added (the “Sinusoidal positions” switch in the sidebar, off here).",
        "the row of “it” before and after the words are shuffled.",
        focus="word",
        question=Question(
            "shuffle",
            "The words are shuffled, without positions. Each word's attention to each other word…",
            {
                "follows": "stays the same: the weights move with the words",
                "changes": "changes: new neighbours, new weights",
            },  # fmt: skip
        ),
    ),
    Step(
        "Several heads",
        "A layer runs several heads side by side, each with its own W_Q, W_K and W_V, so each can "
        "look for something else; their outputs are joined and mixed by W_O.",
        "switch “Head shown” above the maps: the row of “it” changes from head to head.",
        changes={"n_heads": 4},
        focus="word",
        numbers="heads",
    ),
    Step(
        "A trained model's “it”",
        "The toy's weights are random, so its “it” looks anywhere. The trained all-MiniLM-L6-v2 "
        "learned its weights from text: its 6 layers × 12 heads run through the same numpy attention.",
        "the bars: the row of “it” on the head that puts most weight on “animal”, and whether other "
        "words look there too (the Pretrained model tab below has every head).",
        numbers="model",
        tab="Pretrained model",
    ),
)
