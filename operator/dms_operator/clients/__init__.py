"""Clients: the only layer that does I/O.

`dms` talks to the DMS REST API. Reconcile logic imports from here; nothing here
imports from the reconcile or handler layers.
"""
