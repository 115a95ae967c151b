"""The demo shop's custom actions, a plain rasa_sdk actions package.

Served by its own action server: ``python -m rasa_sdk --actions actions`` from ``tenants/demo/``
(``endpoints.yml`` points the dialogue service at it). ``records`` says where the shop's data lives.
"""
