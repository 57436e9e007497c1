"""The staff area, /admin: one blueprint, ``admin``, and one module per part of the year.

Each module adds its routes to the blueprint ``access.bp``. This package imports every
one of them by name, so the blueprint is complete once ``admin.web`` is imported, and a
module taken out of the package fails here loudly instead of leaving its pages to 404
(``tests/test_web_security.py`` checks that every module listed serves a route).
"""

from admin.web import access, checkin, dashboard, proposals, session_day, tracking
from admin.web.access import bp

ROUTE_MODULES = (access, checkin, dashboard, proposals, session_day, tracking)
__all__ = ["ROUTE_MODULES", "bp"]
