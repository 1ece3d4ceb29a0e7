"""Bearer tokens: a high-entropy secret shown once, stored only as its SHA-256, each naming a principal.

A token reads ``rk_<token id>_<secret>``; the id lets an admin list and revoke tokens without the secret.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

import msgspec
import sqlalchemy as sa
from sqlalchemy import Engine

from domain.text import require_slug
from services.authorisation import Principal, Role

_metadata = sa.MetaData()
tokens_table = sa.Table(
    "api_tokens",
    _metadata,
    sa.Column("token_id", sa.String(32), primary_key=True),
    sa.Column("secret_sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("cooperations", sa.JSON, nullable=False),
    sa.Column("regions", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
)


class TokenInfo(msgspec.Struct, frozen=True, kw_only=True):
    token_id: str
    name: str
    role: Role
    cooperations: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    created_at: datetime
    revoked_at: datetime | None = None


class IssuedToken(msgspec.Struct, frozen=True, kw_only=True):
    """A new token; ``token`` is its secret, shown this once and never stored."""

    token: str
    info: TokenInfo


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(
        self,
        *,
        name: str,
        role: Role,
        cooperations: tuple[str, ...] = (),
        regions: tuple[str, ...] = (),
    ) -> IssuedToken:
        # A slug: the name is part of the principal ("<role>:<name>#<token id>") on every event.
        require_slug(name, "a token name")
        if role is Role.COORDINATOR and not (cooperations or regions):
            raise ValueError("a coordinator token needs at least one --cooperation or --region")
        if role is Role.REGION_SYSTEM and len(regions) != 1:
            raise ValueError("a region-system token names exactly one --region")
        if self._active_name_taken(name, role):
            raise ValueError(
                f"a {role} token named {name!r} exists already: names are unique per role, "
                "choose another name (or revoke that token first)"
            )
        token_id = secrets.token_hex(6)
        token = f"rk_{token_id}_{secrets.token_urlsafe(32)}"
        info = TokenInfo(
            token_id=token_id,
            name=name,
            role=role,
            cooperations=tuple(cooperations),
            regions=tuple(regions),
            created_at=datetime.now(UTC),
        )
        with self.engine.begin() as connection:
            connection.execute(
                tokens_table.insert().values(
                    token_id=token_id,
                    secret_sha256=_sha256(token),
                    name=name,
                    role=str(role),
                    cooperations=list(cooperations),
                    regions=list(regions),
                    created_at=info.created_at,
                )
            )
        return IssuedToken(token=token, info=info)

    def _active_name_taken(self, name: str, role: Role) -> bool:
        with self.engine.connect() as connection:
            return (
                connection.execute(
                    sa.select(tokens_table.c.token_id).where(
                        tokens_table.c.name == name,
                        tokens_table.c.role == str(role),
                        tokens_table.c.revoked_at.is_(None),
                    )
                ).first()
                is not None
            )

    def principal(self, token: str) -> Principal | None:
        """The principal of a valid, unrevoked token, else None."""
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(tokens_table).where(
                    tokens_table.c.secret_sha256 == _sha256(token),
                    tokens_table.c.revoked_at.is_(None),
                )
            ).first()
        if row is None:
            return None
        return Principal(
            token_id=row.token_id,
            name=row.name,
            role=Role(row.role),
            cooperations=tuple(row.cooperations),
            regions=tuple(row.regions),
        )

    def list(self) -> list[TokenInfo]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.select(tokens_table).order_by(tokens_table.c.created_at)
            ).all()
        return [_info(row) for row in rows]

    def revoke(self, token_id: str) -> bool:
        """Revokes the token; False if there is no such unrevoked token."""
        with self.engine.begin() as connection:
            result = connection.execute(
                tokens_table.update()
                .where(tokens_table.c.token_id == token_id, tokens_table.c.revoked_at.is_(None))
                .values(revoked_at=datetime.now(UTC))
            )
        return result.rowcount == 1

    def has_admin(self) -> bool:
        with self.engine.connect() as connection:
            return (
                connection.execute(
                    sa.select(tokens_table.c.token_id).where(
                        tokens_table.c.role == str(Role.ADMIN), tokens_table.c.revoked_at.is_(None)
                    )
                ).first()
                is not None
            )


def _info(row: sa.Row) -> TokenInfo:
    return TokenInfo(
        token_id=row.token_id,
        name=row.name,
        role=Role(row.role),
        cooperations=tuple(row.cooperations),
        regions=tuple(row.regions),
        created_at=_utc(row.created_at),
        revoked_at=_utc(row.revoked_at) if row.revoked_at else None,
    )


def _utc(moment: datetime) -> datetime:
    """SQLite keeps no time zone; every time stored here is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
