"""A small n-gram language model: `arpa_model(sentences)` writes a trigram model (ARPA text) with
absolute discounting and back-off, for PocketSphinx's n-gram search."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import Iterable

from garden.speech.corpus import sample_sentences
from garden.speech.vocab import recogniser_words


def arpa_model(sentences: Iterable[str] | None = None, vocabulary: Iterable[str] | None = None,
               order: int = 3, discount: float = 0.7, unigram_floor: float = 0.5) -> str:
    """An ARPA language model with absolute discounting and back-off. Every vocabulary word gets
    at least `unigram_floor` counts, so words the sentences never used can still be heard."""
    if sentences is None:
        sentences = sample_sentences(20000)
    vocabulary = set(recogniser_words() if vocabulary is None else vocabulary)
    counts: list[Counter] = [Counter() for _ in range(order + 1)]
    for sentence in sentences:
        words = ["<s>", *sentence.split(), "</s>"]
        for n in range(1, order + 1):
            for i in range(len(words) - n + 1):
                gram = tuple(words[i:i + n])
                if gram != ("<s>",):
                    counts[n][gram] += 1
    unigrams = counts[1]
    for word in vocabulary:
        unigrams[(word,)] += unigram_floor
    total = sum(unigrams.values())
    prob: list[dict[tuple, float]] = [{} for _ in range(order + 1)]
    prob[1] = {g: c / total for g, c in unigrams.items()}
    prob[1][("<s>",)] = 0.0  # only ever a context
    backoff: list[dict[tuple, float]] = [{} for _ in range(order + 1)]
    for n in range(2, order + 1):
        by_context: dict[tuple, list[tuple[tuple, int]]] = defaultdict(list)
        for gram, c in counts[n].items():
            by_context[gram[:-1]].append((gram, c))
        for context, grams in by_context.items():
            context_total = sum(c for _, c in grams)
            for gram, c in grams:
                prob[n][gram] = (c - discount) / context_total
            left = discount * len(grams) / context_total  # mass freed by discounting
            lower = sum(_lower_prob(prob, gram[1:]) for gram, _ in grams)
            backoff[n - 1][context] = left / max(1e-12, 1 - lower)
    lines = ["\\data\\"] + [f"ngram {n}={len(prob[n])}" for n in range(1, order + 1)] + [""]
    for n in range(1, order + 1):
        lines.append(f"\\{n}-grams:")
        for gram in sorted(prob[n]):
            p = prob[n][gram]
            logp = -99.0 if p <= 0 else math.log10(p)
            entry = f"{logp:.4f}\t{' '.join(gram)}"
            if n < order:
                entry += f"\t{math.log10(backoff[n].get(gram, 1.0)):.4f}"
            lines.append(entry)
        lines.append("")
    lines.append("\\end\\")
    return "\n".join(lines) + "\n"


def _lower_prob(prob: list[dict[tuple, float]], gram: tuple) -> float:
    """P(gram[-1] | gram[:-1]) from the lower orders already computed (no back-off weight is
    needed: every lower-order gram of a seen gram was seen too)."""
    return prob[len(gram)].get(gram, 0.0)
