"""The schema as of the first release with migrations: plans, their versions, API keys, slot
offers, the access log and rosters (what `Base.metadata.create_all` made before).

Revision ID: 0001
Revises:
Create Date: 2026-12-07 05:13:00.675071
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import api.db

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "access_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", api.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=True),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("route", sa.String(length=200), nullable=False),
        sa.Column("path", sa.String(length=400), nullable=False),
        sa.Column("plan_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("access_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_access_log_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_access_log_key_id"), ["key_id"], unique=False)
        batch_op.create_index("ix_access_log_plan_at", ["plan_id", "at"], unique=False)
        batch_op.create_index(batch_op.f("ix_access_log_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=128), nullable=False),
        sa.Column("created_at", api.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", api.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("expires_at", api.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "plans",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("problem_id", sa.String(length=200), nullable=True),
        sa.Column("author_key", sa.String(length=32), nullable=True),
        sa.Column("author_name", sa.String(length=200), nullable=True),
        sa.Column("author_role", sa.String(length=16), nullable=True),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("problem", sa.JSON(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("best_plan", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("cancelled_by", sa.String(length=32), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", api.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", api.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", api.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", api.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plans_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_plans_problem_id"), ["problem_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_plans_status"), ["status"], unique=False)
        batch_op.create_index("ix_plans_status_created", ["status", "created_at"], unique=False)

    op.create_table(
        "rosters",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("problem_id", sa.String(length=200), nullable=True),
        sa.Column("author_key", sa.String(length=32), nullable=True),
        sa.Column("problem", sa.JSON(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("cancelled_by", sa.String(length=32), nullable=True),
        sa.Column("created_at", api.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", api.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", api.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("rosters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rosters_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_rosters_problem_id"), ["problem_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_rosters_status"), ["status"], unique=False)

    op.create_table(
        "plan_versions",
        sa.Column("plan_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", api.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("author_key", sa.String(length=32), nullable=True),
        sa.Column("author_name", sa.String(length=200), nullable=True),
        sa.Column("author_role", sa.String(length=16), nullable=True),
        sa.Column("input", sa.JSON(), nullable=False),
        sa.Column("problem", sa.JSON(), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("plan_id", "number"),
    )
    op.create_table(
        "slot_offers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("plan_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", api.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("author_key", sa.String(length=32), nullable=True),
        sa.Column("author_role", sa.String(length=16), nullable=True),
        sa.Column("now", api.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("order", sa.JSON(), nullable=False),
        sa.Column("window", sa.JSON(), nullable=False),
        sa.Column("feasible", sa.Boolean(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("reason", sa.JSON(), nullable=True),
        sa.Column("held_option", sa.Integer(), nullable=True),
        sa.Column("held_until", api.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("held_by", sa.String(length=32), nullable=True),
        sa.Column("confirmed_at", api.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("confirmed_option", sa.Integer(), nullable=True),
        sa.Column("confirmed_version", sa.Integer(), nullable=True),
        sa.Column("confirmed_by", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("slot_offers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_slot_offers_held_until"), ["held_until"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_slot_offers_plan_id"), ["plan_id"], unique=False)


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("slot_offers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_slot_offers_plan_id"))
        batch_op.drop_index(batch_op.f("ix_slot_offers_held_until"))

    op.drop_table("slot_offers")
    op.drop_table("plan_versions")
    with op.batch_alter_table("rosters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rosters_status"))
        batch_op.drop_index(batch_op.f("ix_rosters_problem_id"))
        batch_op.drop_index(batch_op.f("ix_rosters_created_at"))

    op.drop_table("rosters")
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.drop_index("ix_plans_status_created")
        batch_op.drop_index(batch_op.f("ix_plans_status"))
        batch_op.drop_index(batch_op.f("ix_plans_problem_id"))
        batch_op.drop_index(batch_op.f("ix_plans_created_at"))

    op.drop_table("plans")
    op.drop_table("api_keys")
    with op.batch_alter_table("access_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_log_plan_id"))
        batch_op.drop_index("ix_access_log_plan_at")
        batch_op.drop_index(batch_op.f("ix_access_log_key_id"))
        batch_op.drop_index(batch_op.f("ix_access_log_at"))

    op.drop_table("access_log")
