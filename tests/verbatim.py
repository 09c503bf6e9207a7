"""Find wording that a case text copies from the seed texts without marking it as a quotation.

Texts are compared as sequences of lower-cased words (runs of ``\\w`` characters), so case,
punctuation and spacing make no difference. A *copied run* is a stretch of at least
``min_words`` consecutive words of a case text that also occurs, word for word, in one seed.
Words inside quotation marks in the case text are quoted, not copied, and are never counted.

Typical use::

    seeds = seed_words(Path("/path/to/seeds"))
    for run in copied_runs(case["description"], seeds):
        print(run.length, run.text)

The seeds' shingles (every ``min_words``-word window) are indexed once per seed collection
and window length, so checking a whole catalogue takes a fraction of a second.
"""

import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

WORD = re.compile(r"\w+")

# A quotation: straight double quotes, curly double quotes, or curly single quotes. A closing
# curly single quote is one not followed by a letter or digit, so an apostrophe inside a word
# does not end a quotation. A quotation never runs past the end of a line, and a mark without
# its partner quotes nothing.
QUOTATION = re.compile(r'"[^"\n]*"|“[^“”\n]*”|‘[^‘\n]*?’(?!\w)')


class Run(NamedTuple):
    """A copied run: the words as they stand in the case text, and where they stand."""

    text: str  # the case text's own substring, from the run's first word to its last
    length: int  # in words
    start: int  # character offsets of ``text`` in the case text
    end: int


class SeedWords(dict):
    """The seeds' words, by seed name, with an index of their shingles built on first use."""

    def __init__(self, words_by_seed: Mapping[str, Sequence[str]] = ()):
        super().__init__((name, tuple(words)) for name, words in dict(words_by_seed).items())
        self._shingles: dict[int, frozenset[tuple[str, ...]]] = {}

    def shingles(self, n: int) -> frozenset[tuple[str, ...]]:
        """Every run of ``n`` consecutive words in any one seed."""
        if n not in self._shingles:
            self._shingles[n] = frozenset(
                words[i : i + n] for words in self.values() for i in range(len(words) - n + 1)
            )
        return self._shingles[n]


def words(text: str) -> list[str]:
    """The lower-cased words of ``text``."""
    return WORD.findall(text.lower())


def seed_words(seeds_dir: str | Path) -> SeedWords:
    """Read every ``*.txt`` file in ``seeds_dir`` (as UTF-8) into its words, by file name."""
    paths = sorted(Path(seeds_dir).glob("*.txt"))
    return SeedWords({path.name: words(path.read_text(encoding="utf-8")) for path in paths})


def unquoted_spans(text: str) -> Iterator[tuple[int, int]]:
    """The (start, end) offsets of the stretches of ``text`` outside quotation marks."""
    start = 0
    for quotation in QUOTATION.finditer(text):
        yield start, quotation.start()
        start = quotation.end()
    yield start, len(text)


def copied_runs(
    text: str, seed_words: Mapping[str, Sequence[str]], min_words: int = 12
) -> list[Run]:
    """Every maximal run of ``min_words`` or more words of ``text`` found word for word in a seed.

    ``seed_words`` is what :func:`seed_words` returns (a plain mapping of seed name to words
    also works, but is indexed afresh on every call). Matching windows that overlap or touch
    are merged into one run; a run never crosses a quotation. Runs come in the order they occur in ``text``.
    """
    if not isinstance(seed_words, SeedWords):
        seed_words = SeedWords(seed_words)
    shingles = seed_words.shingles(min_words)
    runs = []
    for span_start, span_end in unquoted_spans(text):
        tokens = list(WORD.finditer(text, span_start, span_end))
        lowered = tuple(token[0].lower() for token in tokens)
        first = last = None  # token indexes of the run being grown, inclusive
        for i in range(len(tokens) - min_words + 1):
            if lowered[i : i + min_words] not in shingles:
                continue
            if last is not None and i <= last + 1:
                last = i + min_words - 1
                continue
            if first is not None:
                runs.append(_run(text, tokens, first, last))
            first, last = i, i + min_words - 1
        if first is not None:
            runs.append(_run(text, tokens, first, last))
    return runs


def _run(text: str, tokens: list[re.Match], first: int, last: int) -> Run:
    start, end = tokens[first].start(), tokens[last].end()
    return Run(text[start:end], last - first + 1, start, end)
