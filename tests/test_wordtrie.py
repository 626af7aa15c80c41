"""The word lists of the catalog and the mask are compiled as tries (pipeline/wordtrie.py); they
must match exactly what the plain alternation, longest word first, matched."""

import random
import re

from pipeline.wordtrie import compile_words, words_pattern


def _flat(words: list[str]) -> str:
    words = sorted({w for w in words if w}, key=len, reverse=True)
    return "|".join(re.escape(w) for w in words) if words else r"(?!)"


def test_trie_matches_what_the_alternation_matches_also_inside_larger_patterns():
    rng = random.Random(7)
    alphabet = "法治学校人员案件a.()|*?"  # regex metacharacters too: every word is escaped
    # alone, repeated with backtracking, anchored at both ends, and captured twice in a row
    wrappers = ("{}", "(?:{}|\\s)+x", "^(?:{}|\\s)+|(?:{}|\\s)+$", "({})({})")
    for _ in range(3000):
        words = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 5)))
                 for _ in range(rng.randint(0, 12))]  # fmt: skip
        text = "".join(rng.choice(alphabet + " x") for _ in range(rng.randint(0, 30)))
        for wrapper in wrappers:
            flat = re.compile(wrapper.format(_flat(words), _flat(words)))
            trie = re.compile(wrapper.format(words_pattern(words), words_pattern(words)))
            assert [(m.span(), m.groups()) for m in trie.finditer(text)] == [
                (m.span(), m.groups()) for m in flat.finditer(text)
            ], (words, text, wrapper)
            assert trie.sub("#", text) == flat.sub("#", text)


def test_longest_word_wins_and_an_empty_list_matches_nothing():
    pattern = compile_words(["法治", "法治副校长", "法律顾问", ""])
    assert [m.group() for m in pattern.finditer("聘请法治副校长和法律顾问，法治")] == [
        "法治副校长", "法律顾问", "法治"
    ]  # fmt: skip
    assert compile_words([]).search("法治") is None
