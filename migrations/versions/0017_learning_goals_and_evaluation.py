"""learning goals and evaluation: the ALM learning goals, the goals each period offers, the
goals the department and the GP confirm as reached after a placement, the survey
invitations (one row per ended placement) and the survey answers (one per placement and
respondent role, scores 1-5)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 17:45:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

QUESTIONS = ("overall", "learning", "arrangements")


def upgrade():
    op.create_table(
        "learning_goals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("title_nb", sa.String(length=200), nullable=False),
        sa.Column("title_nn", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.CheckConstraint("code LIKE 'ALM-%'", name=op.f("ck_learning_goals_code_alm")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learning_goals")),
        sa.UniqueConstraint("code", name=op.f("uq_learning_goals_code")),
    )
    op.create_table(
        "period_learning_goals",
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("learning_goal_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["learning_goal_id"],
            ["learning_goals.id"],
            name=op.f("fk_period_learning_goals_learning_goal_id_learning_goals"),
        ),
        sa.ForeignKeyConstraint(
            ["period_id"],
            ["periods.id"],
            name=op.f("fk_period_learning_goals_period_id_periods"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "period_id", "learning_goal_id", name=op.f("pk_period_learning_goals")
        ),
    )
    op.create_table(
        "goal_confirmations",
        sa.Column("match_id", sa.Integer(), nullable=False),
        sa.Column("side", sa.String(length=12), nullable=False),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("side IN ('department', 'gp')", name=op.f("ck_goal_confirmations_side")),
        sa.ForeignKeyConstraint(
            ["confirmed_by_id"], ["users.id"], name=op.f("fk_goal_confirmations_confirmed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["match_id"], ["matches.id"], name=op.f("fk_goal_confirmations_match_id_matches")
        ),
        sa.PrimaryKeyConstraint("match_id", "side", name=op.f("pk_goal_confirmations")),
    )
    op.create_table(
        "reached_goals",
        sa.Column("match_id", sa.Integer(), nullable=False),
        sa.Column("side", sa.String(length=12), nullable=False),
        sa.Column("learning_goal_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["learning_goal_id"],
            ["learning_goals.id"],
            name=op.f("fk_reached_goals_learning_goal_id_learning_goals"),
        ),
        sa.ForeignKeyConstraint(
            ["match_id", "side"],
            ["goal_confirmations.match_id", "goal_confirmations.side"],
            name=op.f("fk_reached_goals_match_id_goal_confirmations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "match_id", "side", "learning_goal_id", name=op.f("pk_reached_goals")
        ),
    )
    op.create_table(
        "placement_evaluations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("match_id", sa.Integer(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=False),
        sa.Column("invited_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["match_id"], ["matches.id"], name=op.f("fk_placement_evaluations_match_id_matches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_placement_evaluations")),
        sa.UniqueConstraint("match_id", name=op.f("uq_placement_evaluations_match_id")),
    )
    op.create_table(
        "survey_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("match_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("respondent_id", sa.Integer(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        *(sa.Column(q, sa.Integer(), nullable=False) for q in QUESTIONS),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "role IN ('gp', 'department', 'municipality')", name=op.f("ck_survey_responses_role")
        ),
        *(
            sa.CheckConstraint(
                f"{q} BETWEEN 1 AND 5", name=op.f(f"ck_survey_responses_{q}_score_range")
            )
            for q in QUESTIONS
        ),
        sa.ForeignKeyConstraint(
            ["match_id"], ["matches.id"], name=op.f("fk_survey_responses_match_id_matches")
        ),
        sa.ForeignKeyConstraint(
            ["respondent_id"], ["users.id"], name=op.f("fk_survey_responses_respondent_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_responses")),
        sa.UniqueConstraint("match_id", "role", name=op.f("uq_survey_responses_match_id_role")),
    )
    with op.batch_alter_table("survey_responses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_responses_match_id"), ["match_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_survey_responses_submitted_at"), ["submitted_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("survey_responses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_responses_submitted_at"))
        batch_op.drop_index(batch_op.f("ix_survey_responses_match_id"))
    op.drop_table("survey_responses")
    op.drop_table("placement_evaluations")
    op.drop_table("reached_goals")
    op.drop_table("goal_confirmations")
    op.drop_table("period_learning_goals")
    op.drop_table("learning_goals")
