"""NLU service: reads intent, entities, emotion and language of every customer message."""
