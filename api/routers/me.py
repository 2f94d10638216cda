"""Who am I: the key a request is made with, so that a client (the board) shows the controls
its role allows."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.auth import Role
from api.deps import ViewerKey
from api.errors import responses

router = APIRouter(prefix="/v1", tags=["keys"])


class KeySelf(BaseModel):
    """The key of the request: its id, name and role (never its secret)."""

    id: str = Field(description="Key id.")
    name: str | None = Field(default=None, description="Who or what the key is for.")
    role: Role = Field(description="viewer, dispatcher, coordinator or admin.")


@router.get("/me", summary="The key of this request", responses=responses(401, 403))
def who_am_i(key: ViewerKey) -> KeySelf:
    """The id, name and role of the API key the request is made with."""
    return KeySelf(id=key.id, name=key.name, role=Role(key.role))
