"""Organisations: care providers, expertise centres, procurement bureaus, ..."""

from litestar import Controller

from api.commands import command_route
from services import commands as c


class OrganisationController(Controller):
    path = "/organisations"
    tags = ["organisations"]

    register = command_route("/", c.RegisterOrganisation, "Register an organisation")
