"""Word errors: how far a transcript is from what was said (the numerator of word error rate)."""

from __future__ import annotations


def word_errors(reference: str, hypothesis: str) -> int:
    """Words substituted, deleted and inserted to turn `reference` into `hypothesis` (Levenshtein over words)."""
    ref, hyp = reference.split(), hypothesis.split()
    row = list(range(len(hyp) + 1))
    for i in range(1, len(ref) + 1):
        diagonal, row[0] = row[0], i
        for j in range(1, len(hyp) + 1):
            diagonal, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, diagonal + (ref[i - 1] != hyp[j - 1]))
    return row[len(hyp)]
