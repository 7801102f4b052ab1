"""kopf handlers, one module per kind; each parses the event and calls the reconciler."""
