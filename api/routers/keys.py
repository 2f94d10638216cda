"""API keys, managed by admins: make, list, revoke."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from api.auth import Role
from api.db import KeyRecord
from api.deps import AdminKey, SettingsDep, StoreDep
from api.errors import not_found, responses
from api.guard import GuardedRoute
from api.schemas import KeyCreate, KeyCreated, KeyList, KeyPublic
from api.store import NotFound

router = APIRouter(prefix="/v1/keys", tags=["keys"], route_class=GuardedRoute)

KeyId = Annotated[str, Path(max_length=64, description="The key's id.")]


def key_public(record: KeyRecord) -> KeyPublic:
    """A key as listed, without its secret."""
    return KeyPublic(
        id=record.id,
        name=record.name,
        role=Role(record.role),
        created_at=record.created_at,
        revoked_at=record.revoked_at,
        expires_at=record.expires_at,
    )


@router.post("", status_code=201, summary="Make a key", responses=responses(400, 401, 403, 422))
def create_key(
    body: KeyCreate, key: AdminKey, store: StoreDep, settings: SettingsDep, response: Response
) -> KeyCreated:
    """Make an API key with a role; its text is in this answer only (only a salted hash of
    it is stored), which no cache keeps (`Cache-Control: no-store`)."""
    response.headers["Cache-Control"] = "no-store"
    lifetime = body.expires_in_days or settings.key_lifetime_days
    record, text = store.create_key(body.role, body.name, lifetime)
    return KeyCreated(**key_public(record).model_dump(), key=text)


@router.get("", summary="List keys", responses=responses(401, 403))
def list_keys(key: AdminKey, store: StoreDep, response: Response) -> KeyList:
    """Every key, revoked ones included, oldest first (never their secrets)."""
    response.headers["Cache-Control"] = "no-store"
    return KeyList(items=[key_public(r) for r in store.list_keys()])


@router.delete("/{key_id}", summary="Revoke a key", responses=responses(401, 403, 404, 422))
def revoke_key(key_id: KeyId, key: AdminKey, store: StoreDep) -> KeyPublic:
    """Revoke a key: it answers 401 from now on. The key's row stays, so the service record
    still names who did what."""
    if store.get_key(key_id) is None:
        raise not_found("API key", key_id)
    try:
        return key_public(store.revoke_key(key_id))
    except NotFound:
        raise not_found("API key", key_id) from None
