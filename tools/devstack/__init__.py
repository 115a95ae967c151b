"""Switchboard's local stack manager: installs, starts, checks and stops Kafka, FerretDB and the services.

Stdlib only, because it runs before any virtual environment exists:
``PYTHONPATH=tools python3 -m devstack --help``.
"""
