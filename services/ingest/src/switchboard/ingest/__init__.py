"""Ingest service: channel adapters (web chat, WeChat Official Account, phone IVR).

Customer messages in, replies out on the customer's own channel.
"""
