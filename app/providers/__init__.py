"""Vendor adapters: build each vendor's HTTP request, send it, read its reply and usage.

Import what you need from its module (``app.providers.registry``, ``.transport``, ``.base``):
this package imports nothing eagerly, so importing one adapter does not load them all.
"""
