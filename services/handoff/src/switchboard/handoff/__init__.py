"""Handoff service: hands complex or emotional conversations to human agents and back to the bot; agent console and analytics."""
