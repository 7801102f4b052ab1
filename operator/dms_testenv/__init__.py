"""Local test environment: a real Kubernetes control plane, real database servers
and the DMS simulator, started on loopback for the tests and the sandbox.

Nothing here is used by the operator at run time.
"""
