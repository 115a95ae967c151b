"""LinkNet Broadband's custom actions: a rasa_sdk actions package (``python -m rasa_sdk --actions actions``)."""
