"""teams: an inspector belongs to at most one enforcement team (执法中队)

Revision ID: 0005_teams
Revises: 0004

A case may be dispatched to a team instead of a person (``cases.assigned_team``). Until now a
team was only a name, so a case could be sent to a team nobody is in and no inspector could
tell it was theirs. ``users.team`` names the team a user belongs to: a team's members are the
active inspectors carrying its name, dispatch to a team without members is refused, and every
member handles the team's cases.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_teams"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("users", sa.Column("team", sa.String(128), nullable=True))
    op.create_index("ix_users_team", "users", ["team"])


def downgrade() -> None:
    op.drop_index("ix_users_team", table_name="users")
    op.drop_column("users", "team")
