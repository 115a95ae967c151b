"""Dialogue service: rasa 3.6 dialogue manager: tracks each conversation and decides the reply (template, generate, handoff)."""
