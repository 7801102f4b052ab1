"""Pydantic models: the DMS wire payloads (`dms`), DMS credentials (`credentials`) and
the operator's own custom resources.

Models do no I/O and import nothing from the layers above them.
"""
