"""The path prefix of every DMS API route."""

PREFIX = "/provider"
