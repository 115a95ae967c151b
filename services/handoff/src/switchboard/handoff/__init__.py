"""Handoff service: hands complex or emotional conversations to human agents and back to the bot.

Also serves the agent console and the supervisor analytics.
"""
