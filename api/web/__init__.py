"""Server-rendered pages for people (coordinators, auditors, region staff), served by the same app as
the JSON API: HTTP only, reading through the same query layer (``projections.queries``) and the same
authorisation rules (``services.authorisation``, ``api.guards``). A page is signed in to with a
session cookie instead of a bearer token (``api.web.sessions``); its forms carry a CSRF token."""

from __future__ import annotations

# The paths of the pages and their assets: the bearer-token middleware leaves them to the session's,
# and the JSON body gate leaves their HTML forms alone. Anchored regular expressions.
WEB_PATHS = (
    "^/$",
    "^/aanmelden",
    "^/afmelden",
    "^/zoeken",
    "^/kaart/",
    "^/besluiten/",
    "^/controle",
    "^/static/",
)
