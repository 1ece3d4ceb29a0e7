"""Bearer tokens, managed by admins (also possible with ``regiekaart tokens``)."""

from __future__ import annotations

from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import FromPath, JSONBody

from api.compression import SENT_AS_IS
from api.errors import problems
from api.examples import TOKEN_EXAMPLES, named
from api.guards import ADMINS
from api.openapi import with_examples
from api.schemas import TokenRequest
from api.scopes import require_known_scopes
from api.security import TokenCache
from api.tokens import IssuedToken, TokenInfo, TokenStore
from projections.queries import GovernanceMaps


class TokenController(Controller):
    path = "/tokens"
    tags = ["tokens"]
    guards = [ADMINS]
    opt = SENT_AS_IS  # a new token's secret is never compressed (see api.compression)

    @get(
        "/",
        sync_to_thread=True,
        summary="All tokens (without secrets)",
        responses=problems(401, 403, 503),
    )
    def list_tokens(self, tokens: NamedDependency[TokenStore]) -> list[TokenInfo]:
        return tokens.list()

    @post(
        "/",
        sync_to_thread=True,
        summary="Create a token; its secret is in this answer only",
        responses=problems(400, 401, 403, 503),
        operation_class=with_examples(request=named(*TOKEN_EXAMPLES)),
    )
    def create_token(
        self,
        tokens: NamedDependency[TokenStore],
        maps: NamedDependency[GovernanceMaps],
        data: JSONBody[TokenRequest],
    ) -> IssuedToken:
        try:
            require_known_scopes(maps, regions=data.regions, cooperations=data.cooperations)
            return tokens.create(
                name=data.name, role=data.role, cooperations=data.cooperations, regions=data.regions
            )
        except ValueError as error:
            raise ValidationException(
                str(error), extra=[{"message": str(error), "source": "body"}]
            ) from None

    @delete(
        "/{token_id:str}",
        sync_to_thread=True,
        summary="Revoke a token",
        responses=problems(401, 403, 404, 503),
    )
    def revoke_token(
        self,
        tokens: NamedDependency[TokenStore],
        token_cache: NamedDependency[TokenCache],
        token_id: FromPath[str],
    ) -> None:
        if not tokens.revoke(token_id):
            raise NotFoundException(f"no unrevoked token {token_id!r}")
        token_cache.forget()
