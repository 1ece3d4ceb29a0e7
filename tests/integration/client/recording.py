"""Decisions the client tests record: a municipality of their own joins the region, which its map and its
feed then show."""

from __future__ import annotations

import uuid

import httpx

from tests.authorities import AUTHORITY_JSON

REGION = "zuid-limburg"
_DECIDED = {"authority": AUTHORITY_JSON, "valid_from": {"value": "2020-01-01", "precision": "day"}}


def registration(slug: str) -> tuple[str, dict]:
    return "/municipalities", {"municipality": slug, "name": f"Gemeente {slug[-8:]}", **_DECIDED}


def membership(slug: str) -> tuple[str, dict]:
    return "/municipalities/memberships", {"municipality": slug, "region": REGION, **_DECIDED}


def new_slug() -> str:
    return f"gemeente-{uuid.uuid4().hex[:8]}"


def new_member_of_the_region(admin: httpx.Client) -> tuple[str, httpx.Response]:
    """Registers a municipality of its own and has it join the region: its slug, and the answer to
    the membership."""
    slug = new_slug()
    for path, body in (registration(slug), membership(slug)):
        answer = admin.post(path, json=body)
        assert answer.status_code == 201, answer.text
    return slug, answer
