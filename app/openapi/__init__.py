"""OpenAPI: the published contract and its docs page."""
