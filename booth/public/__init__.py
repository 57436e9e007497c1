"""The public pages, no login: one blueprint, ``public``, and one module per subject.

``rounds`` has the rounds, their boards, receipts checks, results and turnout;
``projects`` the elected projects' progress and ratings; ``proposals`` the public's
proposals and their tracking. Imported by name here, so the blueprint is complete once
``booth.public`` is imported and a module taken away fails loudly.
"""

from booth.public import projects, proposals, rounds
from booth.public.blueprint import bp

ROUTE_MODULES = (rounds, projects, proposals)
__all__ = ["ROUTE_MODULES", "bp"]
