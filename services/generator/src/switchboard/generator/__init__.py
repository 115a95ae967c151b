"""Generator service: writes grounded answers with a local LLM, a semantic cache and safety checks."""
