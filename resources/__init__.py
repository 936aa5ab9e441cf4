"""Bundled read-only resources (installed as the package ``tern_resources``); see studio/resources.py."""
