"""Which canonical indicator a figure names, read from the sentence around it.

How a mention is matched (the vocabulary is data, in indicators.yml):
1. Cut the sentence into clauses at ，；：。 and each clause into items at 、. The number's *own
   span* is its item plus the neighbouring items that hold no other figure ("参考率、通过率和优秀率
   100%" keeps its rate words; "法治副校长176名、交通安全副校长78名" gives 78 only its own noun).
2. Every indicator whose units fit the figure looks for its cues in the own span, before the
   number (聘请法治校委176名) or after it (聘请176名法治校委); the cue nearest to the number wins.
3. Topic words (law / education) must be stated in the own span, else in the figure-free clauses
   before it ("开展习近平法治思想七进活动,累计开展学习宣传教育200余场次"); vetoes exclude what
   the scope notes exclude (督查 is not an inspection, 中心组学习 is not law study).
4. A clause that says only a verb and a number ("全年累计开展20余次") takes its noun from the
   clause before it. A training/lecture given to the body's own officials is law study, not
   public legal education.
panel.py turns the matches into the observations and indicator_panel tables.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from functools import lru_cache
from typing import NamedTuple

from pipeline.catalog import GAP, Catalog, Indicator, load_catalog
from pipeline.wordtrie import compile_words

MAJOR = set("，,；;：:。！？!?\n")  # clause boundaries
_SEP = "\x00"  # joins texts searched together: no word of the catalog spans it
MINOR = "、"  # list items inside a clause


class Surroundings(NamedTuple):
    """The text around one figure (a named tuple: one is built for every figure matched)."""

    before: str  # own span text before the number
    after: str  # own span text after the figure
    inherited: tuple[str, ...]  # figure-free clauses before the number's clause, nearest first
    sentence_before: str  # the whole sentence up to the number
    own: str  # before + " " + after: the own span without the number
    own_and_inherited: str  # own and inherited joined by _SEP, searched for topics and plans


def _surroundings(
    before: str, after: str, inherited: tuple[str, ...], sentence_before: str
) -> Surroundings:
    own = before + " " + after
    return Surroundings(
        before, after, inherited, sentence_before, own, _SEP.join((own, *inherited))
    )


class Hit(NamedTuple):
    """A cue found near a figure. The nearest cue wins, then the longest: _nearest_cue and _best
    compare (distance, neg_length) keys, not hits."""

    distance: int
    neg_length: int
    cue: str
    region: str  # the items from the cue to the number (for vetoes)
    # where the cue is: in the own span before the number (sur.before[start:end]) or after it
    # (sur.after[start:end]); the scope is cut from there only for the hit that wins (_scope)
    before: bool
    start: int
    end: int


class Match(NamedTuple):
    """The indicator a figure names (a named tuple: one is built for most figures)."""

    indicator_id: str
    cue: str
    scope: str | None


_MAJOR_RE = re.compile("[" + re.escape("".join(sorted(MAJOR))) + "]")
_BREAKDOWN_OPEN_RE = re.compile(r"[（(]")
_CJK_RE = re.compile(r"[\u4e00-\u9fff]")
_PUNCT = r"[\s、“”\"'《》（）()【】·\-—:：]"
# a run of them, written X X* rather than X+: a pattern that starts with a plain character class
# lets the regex engine skip ahead to where it can match (one that starts with a repeat does not)
_PUNCT_RUN_RE = re.compile(_PUNCT + _PUNCT + "*")
_YEAR_RE = re.compile(r"(?:19|20)[0-9]{2}年?度?")
# other rate words (参考率和合格率均达到100%) and years are not qualifiers
_RATE_OR_YEAR_RE = re.compile(r"[\u4e00-\u9fff]{0,3}率|(?:19|20)[0-9]{2}年?度?")


def _clause_starts(sentence: str) -> list[int]:
    """Index just after every clause boundary of the sentence, in order."""
    return [m.end() for m in _MAJOR_RE.finditer(sentence)]


def _has_figure(lo: int, hi: int, figures: list[tuple[int, int]]) -> bool:
    return any(s < hi and e > lo for s, e in figures)


def surroundings(
    sentence: str,
    start: int,
    end: int,
    figures: list[tuple[int, int]],
    clause_starts: list[int] | None = None,
) -> Surroundings:
    """The text around the figure sentence[start:end]; `figures` are all figures of the sentence
    (`clause_starts`, from `_clause_starts`, may be passed to share it between figures)."""
    starts = _clause_starts(sentence) if clause_starts is None else clause_starts
    others = [f for f in figures if f[0] != start or f[1] != end]
    # the clause: from the last boundary before the number (starts[k - 1]; 0 if none) to the
    # first boundary at or after its end (a boundary at i starts a clause at i + 1)
    k = bisect.bisect_right(starts, start)
    cs = starts[k - 1] if k else 0
    i = bisect.bisect_right(starts, end)
    ce = starts[i] - 1 if i < len(starts) else len(sentence)
    # before: back to a figure in the own item, else over figure-free items to the clause start
    item_start = max(sentence.rfind(MINOR, cs, start) + 1, cs)
    prev_in_item = [e for s, e in others if item_start <= s and e <= start]
    if prev_in_item:
        b = max(prev_in_item)
    else:
        b = item_start
        while b > cs:
            prev = max(sentence.rfind(MINOR, cs, b - 1) + 1, cs)
            if others and _has_figure(prev, b - 1, others):
                break
            b = prev
    # after: to the end of the own item, then over figure-free items to the clause end
    a = sentence.find(MINOR, end, ce)
    a = ce if a < 0 else a
    while a < ce:
        nxt = sentence.find(MINOR, a + 1, ce)
        nxt = ce if nxt < 0 else nxt
        if others and _has_figure(a + 1, nxt, others):
            break
        a = nxt
    # the figure-free clauses before the number's clause, nearest first: clause k - 2 runs from
    # starts[k - 2] (0 if k < 2) to the boundary just before starts[k - 1]
    inherited: list[str] = []
    while k > 0 and starts[k - 1] > 1:
        lo = starts[k - 2] if k > 1 else 0
        hi = starts[k - 1] - 1
        if others and _has_figure(lo, hi, others):
            break
        inherited.append(sentence[lo:hi])
        k -= 1
    return _surroundings(sentence[b:start], sentence[end:a], tuple(inherited), sentence[:start])


class Matcher:
    """Decides the indicator of one figure from its surroundings, using the catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.indicators = catalog.indicators
        self.by_id = catalog.by_id()
        self.all_units = {u for ind in self.indicators for u in ind.units}
        # (cue, regex, where, its first literal part): the regex runs only where the part is
        # present, a plain substring test that is much cheaper than the regex
        cues = {
            ind.id: [(c, p, w, c.split(GAP)[0]) for c, p, w in ind.cue_patterns()]
            for ind in self.indicators
        }
        # the same cues as searched for the nearest one: (cue, regex, its first part, -length,
        # literal, may stand before, may stand after). A literal cue that cannot overlap itself
        # is found with str.rfind / str.find, which give what the regex would, only faster.
        self.cue_search = {
            ind.id: [
                (c, p, first, -len(c), GAP not in c and not _self_overlapping(c),
                 w != "after", w != "before")
                for c, p, w, first in cues[ind.id]
            ]
            for ind in self.indicators
        }  # fmt: skip
        # the cues that may stand before the number, for _phrase_start: (first part, regex), and
        # the characters they are written with (None when one has a gap, which may hold any)
        before = {
            ind.id: [cue for cue in cues[ind.id] if cue[2] != "after"] for ind in self.indicators
        }
        self.before_cues = {i: [(first, p) for _, p, _, first in b] for i, b in before.items()}
        self.before_cue_chars: dict[str, frozenset[str] | None] = {
            i: None if any(GAP in c for c, *_ in b) else frozenset("".join(c for c, *_ in b))
            for i, b in before.items()
        }
        self.vetoes = {ind.id: compile_words(ind.veto) for ind in self.indicators}
        # the first literal part of every cue and after-cue, per indicator
        first_parts = {i: [first for *_, first in c] for i, c in cues.items()}
        # one search to skip an indicator none of whose cues is anywhere near the number
        self.cue_hint = {i: compile_words(words) for i, words in first_parts.items()}
        # the indicators a figure of each unit may name, in catalog order, with their hint search
        self.by_unit: dict[str | None, list[tuple[int, Indicator, Callable]]] = {
            u: [
                (n, ind, self.cue_hint[ind.id].search)
                for n, ind in enumerate(self.indicators)
                if u in ind.units
            ]
            for u in self.all_units
        }
        v = catalog.vocab
        self.law = compile_words(v["law"])
        self.not_law = compile_words(v["not_law"])
        self.education = compile_words(v["education"])
        self.internal = compile_words(v["internal"])
        self.public = compile_words(v["public"])
        self.reassign = catalog.study_not_education
        self.plans = compile_words(v["plans"])
        self.fillers = re.compile(f"(?:{compile_words(v['fillers']).pattern}|\\s)*")
        verb_words = [*v["verbs"], *v["fillers"]]
        self.verbs = compile_words(verb_words)
        self.inner_verbs = compile_words([w for w in v["verbs"] if len(w) > 1])
        # verbs and fillers at either end of a phrase (stripped from a scope)
        self.edge_verbs = re.compile(
            rf"^(?:{self.verbs.pattern}|\s)+|(?:{self.verbs.pattern}|\s)+$"
        )
        # a stripped text can have a verb at an edge only if it starts with a verb's first
        # character or ends with a verb's last one: most do not, and skip the regex (which tries
        # every verb at every position for the match anchored at the end)
        self.verb_firsts = frozenset(w[0] for w in verb_words if w)
        self.verb_lasts = frozenset(w[-1] for w in verb_words if w)
        # the first part of every cue: a sentence without any of them names no indicator
        hints = [word for words in first_parts.values() for word in words]
        self.any_hint = compile_words(hints)
        # the same per unit: a figure of a unit whose indicators' cues are nowhere in its
        # sentence names none of them. Exact only while no such word holds a space (the own span
        # joins the text before and after the number with one); a catalog with one gets no test.
        self.unit_hint: dict[str | None, Callable] | None = None
        if not any(ch.isspace() for word in hints for ch in word):
            self.unit_hint = {
                u: compile_words([w for _, ind, _ in entries for w in first_parts[ind.id]]).search
                for u, entries in self.by_unit.items()
            }
        self.any_cue = compile_words(
            [part for ind in self.indicators for cue in ind.phrasings for part in cue.split(GAP)]
        )

    # -- topic words -------------------------------------------------------------------------
    def names_law(self, text: str) -> bool:
        return bool(self.law.search(self.not_law.sub("〇", text)))

    def _topic_ok(self, ind: Indicator, sur: Surroundings) -> bool:
        if ind.topic_from == "sentence":
            text = sur.sentence_before + sur.after
        else:
            text = sur.own_and_inherited  # no word spans the separator
        for topic in ind.needs:
            test = self.names_law if topic == "law" else self.education.search
            if not test(text):
                return False
        return True

    # -- cues ---------------------------------------------------------------------------------
    def _nearest_cue(self, ind: Indicator, sur: Surroundings) -> Hit | None:
        """The cue of `ind` nearest to the number, before or after it."""
        best: Hit | None = None
        best_key = (0, 0)  # (distance, -cue length) of `best`: a Hit is built only to beat it
        before, after = sur.before, sur.after
        for cue, pattern, first, neg_length, literal, may_before, may_after in self.cue_search[
            ind.id
        ]:
            # (`first in` is the cheap test that rules out most cues)
            if may_before and first in before:
                # the last occurrence before the number
                if literal:
                    start = before.rfind(cue)
                    end = start - neg_length
                else:
                    start, m = -1, None
                    for m in pattern.finditer(before):  # noqa: B007 - the last is wanted
                        pass
                    if m is not None:
                        start, end = m.span()
                if start >= 0:
                    gap = before[end:]
                    key = (len(gap), neg_length)
                    if (best is None or key < best_key) and (
                        not ind.adjacent or self.fillers.fullmatch(gap)
                    ):
                        # veto region: the items from the cue's item to the number's item
                        region = before[before.rfind(MINOR, 0, start) + 1 :]
                        # after the number up to the next item, but not into a parenthesised
                        # breakdown: "学校156所（其中小学102所" is the total, not a sub-count
                        region += _BREAKDOWN_OPEN_RE.split(after.split(MINOR)[0])[0]
                        best = Hit(*key, cue, region, True, start, end)
                        best_key = key
            if may_after and first in after:
                # the first occurrence after the number
                if literal:
                    start = after.find(cue)
                    end = start - neg_length
                elif m := pattern.search(after):
                    start, end = m.span()
                else:
                    start = -1
                if start >= 0:
                    gap = after[:start]
                    key = (start, neg_length)
                    if (best is None or key < best_key) and (
                        not ind.adjacent or self.fillers.fullmatch(gap)
                    ):
                        item_end = after.find(MINOR, end)
                        region = (
                            before.split(MINOR)[-1] + after[: None if item_end < 0 else item_end]
                        )
                        best = Hit(*key, cue, region, False, start, end)
                        best_key = key
        return best

    def _scope(self, ind: Indicator, hit: Hit, sur: Surroundings) -> tuple[str, bool]:
        """The text that qualifies the counted noun, and whether it follows its cue (then what
        precedes a verb is kept). Cue before the number: what precedes the run of cues it ends
        (该局+持证执法人员), else the gap to the number; after: the gap, else the text before."""
        if hit.before:
            before = sur.before
            qualifier = before[: self._phrase_start(ind, before, hit.start, hit.end)]
            return qualifier or before[hit.end :], not qualifier
        gap = sur.after[: hit.start]
        return gap or sur.before, bool(gap)

    def _phrase_start(self, ind: Indicator, text: str, start: int, end: int) -> int:
        """Start of the run of this indicator's cues ending in the cue at text[start:end]
        (持证+执法人员, 行政诉讼+诉讼案件), so the scope is what qualifies the whole phrase."""
        # a cue that extends the run covers the character just before it: when no cue is
        # written with that character (and none has a gap), the run is the cue alone
        chars = self.before_cue_chars[ind.id]
        if start == 0 or (chars is not None and text[start - 1] not in chars):
            return start
        text = text[:end]
        spans = sorted(
            (m.start(), m.end()) for first, p in self.before_cues[ind.id]
            if first in text for m in p.finditer(text)
        )  # fmt: skip
        for s, e in reversed(spans):
            if s < start <= e:
                start = s
        return start

    def _vetoed(self, ind: Indicator, region: str, cue: str) -> bool:
        if ind.veto_unless_law and self.names_law(cue.replace(GAP, "") + region):
            return False
        return bool(ind.veto) and bool(self.vetoes[ind.id].search(region))

    def _best(self, unit: str | None, sur: Surroundings) -> tuple[Hit, str] | None:
        """The indicator whose cue stands nearest to the number (longer cue, then catalog order,
        on a tie), with its hit; None if no indicator's cue, vetoes and topic allow it."""
        best: tuple[Hit, str] | None = None
        best_key = (0, 0, 0)
        own = sur.own
        for order, ind, hint in self.by_unit.get(unit, ()):
            if not hint(own):
                continue
            hit = self._nearest_cue(ind, sur)
            if hit is None:
                continue
            key = (hit.distance, hit.neg_length, order)
            if best is not None and key > best_key:
                continue
            if self._vetoed(ind, hit.region, hit.cue) or not self._topic_ok(ind, sur):
                continue
            best, best_key = (hit, ind.id), key
        return best

    def match(self, unit: str | None, sur: Surroundings) -> Match | None:
        if self.plans.search(sur.own_and_inherited):
            return None  # a target for next year, not a figure of this one
        found = self._best(unit, sur)
        if found is None and sur.inherited and self._is_thin(sur):
            # "坚持…开展习近平法治思想专题集中学习,全年累计开展20余次": the noun is one clause back
            sur = _surroundings(sur.inherited[0], "", sur.inherited[1:], sur.sentence_before)
            found = self._best(unit, sur)
        if found is None:
            return None
        hit, ind_id = found
        scope, scope_after = self._scope(self.by_id[ind_id], hit, sur)
        r = self.reassign
        if r and ind_id == r.source and any(c in hit.cue for c in r.cues) and self._internal(sur):
            study = self.by_id[r.target]
            if unit in study.units and not self._vetoed(study, hit.region, hit.cue):
                ind_id = study.id
        return Match(ind_id, hit.cue, self.clean_scope(scope, after=scope_after))

    def _is_thin(self, sur: Surroundings) -> bool:
        """The own span names nothing: only verbs, time words and fillers."""
        rest = self.verbs.sub("", sur.own)
        return not self.any_cue.search(sur.own) and not _CJK_RE.search(rest)

    def _internal(self, sur: Surroundings) -> bool:
        """Said of the body's own officials (全警, 党委, 邀请 an expert), and of no public."""
        return bool(self.internal.search(sur.own)) and not self.public.search(sur.own)

    def counted_noun(self, sur: Surroundings) -> str | None:
        """What a figure counts, for `unmapped`: the noun before it (专项执法培训404次), or after it
        when the text before ends in a verb (主持召开4次党组会议), or the clause before it."""
        before = self._squash(sur.before, keep_rates=True)
        verbs = list(self.inner_verbs.finditer(before))
        if before and not (verbs and verbs[-1].end() == len(before)):
            return self.clean_scope(sur.before, keep_rates=True)
        return self.clean_scope(sur.after, after=True, keep_rates=True) or (
            self.clean_scope(sur.inherited[0], keep_rates=True) if sur.inherited else None
        )

    def _squash(self, text: str, keep_rates: bool = False) -> str:
        text = _PUNCT_RUN_RE.sub(" ", text)
        text = (_YEAR_RE if keep_rates else _RATE_OR_YEAR_RE).sub(" ", text).strip()
        if text and (text[0] in self.verb_firsts or text[-1] in self.verb_lasts):
            return self.edge_verbs.sub("", text)
        return text

    def clean_scope(self, text: str, after: bool = False, keep_rates: bool = False) -> str | None:
        """The qualifying noun phrase: no verbs or fillers at its ends. Before the number it is what
        follows the last verb ("联合…部门开展校外培训机构" -> 校外培训机构); after the number,
        what precedes the first verb ("23名局机关干部取得行政执法证" -> 局机关干部)."""
        text = self._squash(text, keep_rates)
        inner = list(self.inner_verbs.finditer(text))
        if inner and after:
            text = self._squash(text[: inner[0].start()], keep_rates)
        elif inner and inner[-1].end() < len(text):
            text = self._squash(text[inner[-1].end() :], keep_rates)
        return text[-40:] or None


def _self_overlapping(word: str) -> bool:
    """A word whose start is also its end (哈哈 in 哈哈哈): its occurrences can overlap, so the
    last one str.rfind finds may not be the last one a regex scan finds."""
    return any(word[:k] == word[-k:] for k in range(1, len(word)))


@lru_cache(maxsize=2)
def default_matcher() -> Matcher:
    return Matcher(load_catalog())


def match_sentence(
    matcher: Matcher, sentence: str, figures: list[tuple[int, int, str | None]]
) -> list[Match | None]:
    """Match every figure (start, end, unit) of one sentence; offsets relative to the sentence."""
    if not matcher.any_hint.search(sentence):
        return [None] * len(figures)  # no indicator's cue anywhere in the sentence
    spans = [(s, e) for s, e, _ in figures]
    units = matcher.all_units  # a unit no indicator takes (篇, 册, 元...) cannot match: skip early
    starts = _clause_starts(sentence)
    unit_hint = matcher.unit_hint
    named: dict[str | None, bool] = {}  # unit -> a cue of its indicators is in the sentence
    matches: list[Match | None] = []
    for s, e, u in figures:
        if u not in units:
            matches.append(None)
            continue
        if unit_hint is not None:
            if u not in named:
                named[u] = unit_hint[u](sentence) is not None
            if not named[u]:
                matches.append(None)
                continue
        matches.append(matcher.match(u, surroundings(sentence, s, e, spans, starts)))
    return matches
