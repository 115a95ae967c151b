"""Dialogue service: the Rasa 3.6 dialogue manager.

Tracks each conversation and decides the reply (template, generate, handoff).
"""
