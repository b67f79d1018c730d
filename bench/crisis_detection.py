"""Crisis detection: recall and false positives per language on the labelled corpora,
and how long one detection takes.

``dev`` is what the phrase files were written against; ``holdout`` was written apart
(and later also used for tuning); ``unseen`` was written by a third hand and is only
ever scored, never read while tuning, so it shows how the detector does on phrasings
its authors have not seen.

    python -m bench.crisis_detection [--misses]
"""

from __future__ import annotations

import argparse
import statistics
import time
import tomllib
from pathlib import Path

from bot.safety.detect import MODEL_PATH, CrisisDetector

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "unit" / "crisis_corpus"
with (CORPUS / "sets.toml").open("rb") as _sets:
    _SETS = tomllib.load(_sets)
# What the phrase files and the learned net may be written and trained against ...
TRAINING_SETS: tuple[str, ...] = tuple(_SETS["training"])
# ... and what is only ever scored, never read: wordings nobody tuned to.
MEASURED_SETS: tuple[str, ...] = tuple(_SETS["measured"])


def load(name: str) -> dict[str, dict[str, list[str]]]:
    """``{lang: {"crisis": [...], "everyday": [...]}}`` from a corpus file."""
    with (CORPUS / f"{name}.toml").open("rb") as handle:
        data = tomllib.load(handle)
    return {
        lang: {label: [item["text"] for item in items] for label, items in groups.items()}
        for lang, groups in data.items()
    }


def score(
    detector: CrisisDetector, corpus: dict[str, dict[str, list[str]]]
) -> dict[str, tuple[float, float, list[str], list[str]]]:
    """Per language: recall, false-positive rate, the missed and the wrongly caught texts."""
    result = {}
    for lang, groups in corpus.items():
        crisis, everyday = groups.get("crisis", []), groups.get("everyday", [])
        missed = [t for t in crisis if detector.detect(t, prefer=lang) is None]
        caught = [t for t in everyday if detector.detect(t, prefer=lang) is not None]
        recall = 1 - len(missed) / len(crisis) if crisis else 1.0
        false_positive = len(caught) / len(everyday) if everyday else 0.0
        result[lang] = (recall, false_positive, missed, caught)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--misses", action="store_true", help="print the misclassified texts")
    parser.add_argument(
        "--sets",
        default=",".join((*TRAINING_SETS, *MEASURED_SETS)),
        help="corpus files to score, comma-separated",
    )
    parser.add_argument("--phrases-only", action="store_true", help="without the learned net")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="a folder with another version's phrases/{da,nb,en}.toml and model.toml, timed "
        "against this one in alternating rounds (the cost as a ratio)",
    )
    args = parser.parse_args()
    detector = CrisisDetector.from_files(model=None if args.phrases_only else MODEL_PATH)
    for name in args.sets.split(","):
        corpus = load(name)
        for lang, (recall, fp, missed, caught) in score(detector, corpus).items():
            groups = corpus[lang]
            print(
                f"{name:8} {lang}: recall {recall:6.1%} ({len(groups.get('crisis', []))} crisis), "
                f"false positives {fp:5.1%} ({len(groups.get('everyday', []))} everyday)"
            )
            if args.misses and name not in MEASURED_SETS:  # these stay unread by their tuners
                for text in missed:
                    print(f"    missed: {text}")
                for text in caught:
                    print(f"    caught: {text}")
    texts = [t for groups in load("dev").values() for items in groups.values() for t in items]
    detectors = {"this": detector}
    if args.baseline is not None:
        model = None if args.phrases_only else args.baseline / "model.toml"
        detectors["baseline"] = CrisisDetector.from_files(
            directory=args.baseline / "phrases", model=model
        )
    timings: dict[str, list[float]] = {name: [] for name in detectors}
    for round_ in range(7):
        names = list(detectors) if round_ % 2 == 0 else list(detectors)[::-1]
        for name in names:
            start = time.perf_counter()
            for text in texts:
                detectors[name].detect(text)
            timings[name].append((time.perf_counter() - start) / len(texts))
    medians = {name: statistics.median(values) for name, values in timings.items()}
    for name, median in medians.items():
        print(f"detection ({name}): median {median * 1e6:.0f} µs per message")
    if "baseline" in medians:
        print(f"cost ratio this / baseline: {medians['this'] / medians['baseline']:.2f}")


if __name__ == "__main__":
    main()
