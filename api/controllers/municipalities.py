"""Municipalities (gemeenten): registration, region memberships and mergers."""

from litestar import Controller

from api.commands import command_route
from services import commands as c


class MunicipalityController(Controller):
    path = "/municipalities"
    tags = ["municipalities"]

    register = command_route("/", c.RegisterMunicipality, "Register a municipality")
    start_membership = command_route(
        "/memberships", c.StartMembership, "A municipality joins a region (fully or for a scope)"
    )
    end_membership = command_route(
        "/memberships/end", c.EndMembership, "A municipality's region membership ends"
    )
    merge = command_route("/mergers", c.MergeMunicipalities, "Municipalities merge")
