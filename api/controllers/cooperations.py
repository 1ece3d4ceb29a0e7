"""Supra-regional cooperations (bovenregionale samenwerkingsverbanden) and who takes part."""

from litestar import Controller

from api.commands import command_route
from services import commands as c


class CooperationController(Controller):
    path = "/cooperations"
    tags = ["cooperations"]

    register = command_route("/", c.RegisterCooperation, "Register a cooperation")
    admit_region = command_route(
        "/regions", c.AdmitRegionToCooperation, "A region takes part in a cooperation"
    )
    involve_organisation = command_route(
        "/organisations", c.InvolveOrganisationInCooperation, "An organisation is involved"
    )
