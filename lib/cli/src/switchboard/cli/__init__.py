"""The ``switchboard`` command: make, check, train and test tenant projects; import knowledge; chat."""
