"""The schema as of the first release with migrations: plans, their versions, API keys, slot
offers, the access log and rosters (what `Base.metadata.create_all` made before). It adopts a
database made that way: what the database has already is kept as it is (see `upgrade`).

Revision ID: 0001
Revises:
Create Date: 2026-12-07 05:13:00.675071
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.schema import SchemaItem

import api.db
from api.migrate import MigrationError

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create every table, index and column of this schema that the database lacks: all of
    them on an empty database; on one made by `create_all` before migrations, only what its
    release had not made yet (later tables, `api_keys.expires_at`), its rows kept."""
    have = sa.inspect(op.get_bind())
    present = set(have.get_table_names())
    for name, columns, indexes in _schema():
        if name not in present:
            op.create_table(name, *columns)
        else:
            _add_missing_columns(name, columns, {c["name"] for c in have.get_columns(name)})
        indexed = {i["name"] for i in have.get_indexes(name)} if name in present else set()
        for index, on in indexes:
            if index not in indexed:
                op.create_index(op.f(index), name, on, unique=False)


def _add_missing_columns(table: str, columns: list[SchemaItem], have: set[str]) -> None:
    """Add the nullable columns an older table lacks; a missing required column has no
    value to give the rows already there, so it stops the migration instead."""
    for column in columns:
        if not isinstance(column, sa.Column) or column.name in have:
            continue
        if not column.nullable:
            raise MigrationError(f"table {table} lacks the required column {column.name}")
        op.add_column(table, column)


def _schema() -> list[tuple[str, list[SchemaItem], list[tuple[str, list[str]]]]]:
    """Each table of this revision, in creation order: its columns and constraints, and its
    indexes (name, columns)."""
    when = api.db.UTCDateTime(timezone=True)
    return [
        (
            "access_log",
            [
                sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
                sa.Column("at", when, nullable=False),
                sa.Column("key_id", sa.String(length=32), nullable=True),
                sa.Column("role", sa.String(length=16), nullable=True),
                sa.Column("method", sa.String(length=8), nullable=False),
                sa.Column("route", sa.String(length=200), nullable=False),
                sa.Column("path", sa.String(length=400), nullable=False),
                sa.Column("plan_id", sa.String(length=64), nullable=True),
                sa.Column("status", sa.Integer(), nullable=False),
                sa.PrimaryKeyConstraint("id"),
            ],
            [
                ("ix_access_log_at", ["at"]),
                ("ix_access_log_key_id", ["key_id"]),
                ("ix_access_log_plan_at", ["plan_id", "at"]),
                ("ix_access_log_plan_id", ["plan_id"]),
            ],
        ),
        (
            "api_keys",
            [
                sa.Column("id", sa.String(length=32), nullable=False),
                sa.Column("name", sa.String(length=200), nullable=True),
                sa.Column("role", sa.String(length=16), nullable=False),
                sa.Column("salt", sa.String(length=64), nullable=False),
                sa.Column("digest", sa.String(length=128), nullable=False),
                sa.Column("created_at", when, nullable=False),
                sa.Column("revoked_at", when, nullable=True),
                sa.Column("expires_at", when, nullable=True),  # since keys expire
                sa.PrimaryKeyConstraint("id"),
            ],
            [],
        ),
        (
            "plans",
            [
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
                sa.Column("created_at", when, nullable=False),
                sa.Column("updated_at", when, nullable=False),
                sa.Column("started_at", when, nullable=True),
                sa.Column("finished_at", when, nullable=True),
                sa.PrimaryKeyConstraint("id"),
            ],
            [
                ("ix_plans_created_at", ["created_at"]),
                ("ix_plans_problem_id", ["problem_id"]),
                ("ix_plans_status", ["status"]),
                ("ix_plans_status_created", ["status", "created_at"]),
            ],
        ),
        (
            "rosters",
            [
                sa.Column("id", sa.String(length=36), nullable=False),
                sa.Column("status", sa.String(length=16), nullable=False),
                sa.Column("problem_id", sa.String(length=200), nullable=True),
                sa.Column("author_key", sa.String(length=32), nullable=True),
                sa.Column("problem", sa.JSON(), nullable=False),
                sa.Column("options", sa.JSON(), nullable=False),
                sa.Column("result", sa.JSON(), nullable=True),
                sa.Column("error", sa.Text(), nullable=True),
                sa.Column("cancelled_by", sa.String(length=32), nullable=True),
                sa.Column("created_at", when, nullable=False),
                sa.Column("started_at", when, nullable=True),
                sa.Column("finished_at", when, nullable=True),
                sa.PrimaryKeyConstraint("id"),
            ],
            [
                ("ix_rosters_created_at", ["created_at"]),
                ("ix_rosters_problem_id", ["problem_id"]),
                ("ix_rosters_status", ["status"]),
            ],
        ),
        (
            "plan_versions",
            [
                sa.Column("plan_id", sa.String(length=36), nullable=False),
                sa.Column("number", sa.Integer(), nullable=False),
                sa.Column("kind", sa.String(length=16), nullable=False),
                sa.Column("created_at", when, nullable=False),
                sa.Column("author_key", sa.String(length=32), nullable=True),
                sa.Column("author_name", sa.String(length=200), nullable=True),
                sa.Column("author_role", sa.String(length=16), nullable=True),
                sa.Column("input", sa.JSON(), nullable=False),
                sa.Column("problem", sa.JSON(), nullable=False),
                sa.Column("plan", sa.JSON(), nullable=False),
                sa.Column("changes", sa.JSON(), nullable=False),
                sa.ForeignKeyConstraint(["plan_id"], ["plans.id"], ondelete="RESTRICT"),
                sa.PrimaryKeyConstraint("plan_id", "number"),
            ],
            [],
        ),
        (
            "slot_offers",
            [
                sa.Column("id", sa.String(length=36), nullable=False),
                sa.Column("plan_id", sa.String(length=36), nullable=False),
                sa.Column("version", sa.Integer(), nullable=False),
                sa.Column("created_at", when, nullable=False),
                sa.Column("author_key", sa.String(length=32), nullable=True),
                sa.Column("author_role", sa.String(length=16), nullable=True),
                sa.Column("now", when, nullable=False),
                sa.Column("order", sa.JSON(), nullable=False),
                sa.Column("window", sa.JSON(), nullable=False),
                sa.Column("feasible", sa.Boolean(), nullable=False),
                sa.Column("options", sa.JSON(), nullable=False),
                sa.Column("reason", sa.JSON(), nullable=True),
                sa.Column("held_option", sa.Integer(), nullable=True),
                sa.Column("held_until", when, nullable=True),
                sa.Column("held_by", sa.String(length=32), nullable=True),
                sa.Column("confirmed_at", when, nullable=True),
                sa.Column("confirmed_option", sa.Integer(), nullable=True),
                sa.Column("confirmed_version", sa.Integer(), nullable=True),
                sa.Column("confirmed_by", sa.String(length=32), nullable=True),
                sa.ForeignKeyConstraint(["plan_id"], ["plans.id"], ondelete="RESTRICT"),
                sa.PrimaryKeyConstraint("id"),
            ],
            [
                ("ix_slot_offers_held_until", ["held_until"]),
                ("ix_slot_offers_plan_id", ["plan_id"]),
            ],
        ),
    ]


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
