"""Authority and the record itself: decision bodies, the source documents facts cite, structural
changes, conflicting claims and corrections."""

from litestar import Controller

from api.commands import command_route
from services import commands as c


class DecisionController(Controller):
    path = "/decisions"
    tags = ["decisions"]

    register_body = command_route("/bodies", c.RegisterDecisionBody, "Register a decision body")
    change_body_role = command_route("/bodies/role", c.ChangeBodyRole, "A decision body's role changes")
    register_source = command_route("/sources", c.RegisterSource, "Register a source document")
    structural_change = command_route(
        "/structural-changes", c.RecordStructuralChange, "Record a dated structural change"
    )
    conflicting_claims = command_route(
        "/conflicting-claims", c.RecordConflictingClaims, "Record claims on which sources disagree"
    )
    add_claim = command_route("/conflicting-claims/claims", c.AddClaim, "Add a claim")
    correct = command_route("/corrections", c.CorrectFact, "Correct a recorded fact, saying why")
