"""Tests of the install paths: Helm chart, kustomize base, Argo CD files and image."""
