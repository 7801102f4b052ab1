"""dms-operator: a Kubernetes operator for databases on Data Management for VMware Tanzu.

Layers, with imports pointing down only: kopf handlers, then reconcile logic, then
clients (`dms_operator.clients`, the only code that does I/O), then models
(`dms_operator.models`, pydantic types for the DMS wire format and for credentials).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("dms-operator")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
