"""The base layer: what several apps share, with no models and no imports of our apps.

See docs/architecture.md for what lives here and the layers above it.
"""
