"""Ingest service: channel adapters (web chat, WeChat Official Account, phone IVR): customer messages in, replies out on the customer's own channel."""
