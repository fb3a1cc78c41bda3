"""The read-only web app (JSON API and pages) over the stored story groups.

Imports only :mod:`storage` of wiredupe.
"""

from web.app import create_app

__all__ = ["create_app"]
