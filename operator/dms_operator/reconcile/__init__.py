"""Reconcile logic: observe DMS and Kubernetes, plan (pure), apply. One module per concept."""
