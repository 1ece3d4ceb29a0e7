"""Agreements between regions, cooperations and organisations: accounthouderschap, gezamenlijke inkoop,
expertisecentrum mandates, trekkerschap and the other kinds."""

from litestar import Controller

from api.commands import command_route
from services import commands as c


class AgreementController(Controller):
    path = "/agreements"
    tags = ["agreements"]

    record = command_route("/", c.RecordAgreement, "Record an agreement of another kind")
    milestone = command_route("/milestones", c.RecordMilestone, "Record an agreement's milestone")
    status = command_route("/status", c.ChangeAgreementStatus, "Change an agreement's status")

    assign_account_holder = command_route(
        "/account-holderships", c.AssignAccountHoldership, "Assign an account holder (accounthouderschap)"
    )
    transfer_account_holder = command_route(
        "/account-holderships/transfer", c.TransferAccountHoldership, "Transfer an account holdership"
    )
    end_account_holder = command_route(
        "/account-holderships/end", c.EndAccountHoldership, "End an account holdership"
    )

    record_procurement = command_route(
        "/joint-procurements", c.RecordJointProcurement, "Record a joint procurement (gezamenlijke inkoop)"
    )
    opt_out = command_route(
        "/joint-procurements/opt-outs", c.OptOutOfProcurement, "A municipality opts out of a procurement"
    )
    exercise_option = command_route(
        "/joint-procurements/extension-options/exercise",
        c.ExerciseExtensionOption,
        "Exercise a contract's extension option",
    )
    decline_option = command_route(
        "/joint-procurements/extension-options/decline",
        c.DeclineExtensionOption,
        "Decline a contract's extension option",
    )

    grant_mandate = command_route(
        "/mandates", c.GrantExpertiseCentreMandate, "Grant an expertisecentrum mandate"
    )
    plan_step = command_route("/mandates/plan-steps", c.RecordPlanStep, "Record a step of a plan's route")
    adopt_plan = command_route("/mandates/plan-adoptions", c.AdoptPlan, "Adopt a plan")

    assign_lead = command_route("/leads", c.AssignLead, "Assign a lead region (trekkerschap)")
    reassign_lead = command_route("/leads/reassign", c.ReassignLead, "Reassign a lead region")
