"""Youth-care regions (jeugdzorgregio's)."""

from litestar import Controller

from api.commands import command_route
from services import commands as c


class RegionController(Controller):
    path = "/regions"
    tags = ["regions"]

    register = command_route("/", c.RegisterRegion, "Register a region")
