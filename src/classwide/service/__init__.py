"""The web page and REST API (``classwide serve``): an adapter around the pure core."""

from classwide.service.app import ServiceLimits, Settings, create_app

__all__ = ["ServiceLimits", "Settings", "create_app"]
