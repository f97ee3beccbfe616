"""answer report columns

Copy onto each answer the course and version of its enrolment and the organisation, branch
and staff/volunteer status of its person (as a completion does), so that the report's
first-try rates read the answer table alone; the first-try index now starts with the
organisation. Existing answers are filled from their enrolment and person as they are now.

Revision ID: 71500260fe1f
Revises: a50ffaf4a3ec
Create Date: 2026-11-23 16:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '71500260fe1f'
down_revision = 'a50ffaf4a3ec'
branch_labels = None
depends_on = None

FIRST_TRY = sa.text('attempt = 1')
NEW_COLUMNS = ('course_id', 'course_version_id', 'organisation_id', 'branch_id', 'person_kind')

# One statement for every row. PostgreSQL joins; SQLite (which may predate UPDATE ... FROM)
# looks each answer's enrolment and person up by primary key.
BACKFILL_POSTGRESQL = """
    UPDATE answer SET course_id = e.course_id, course_version_id = e.course_version_id,
        organisation_id = u.organisation_id, branch_id = u.branch_id, person_kind = u.person_kind
    FROM enrolment e JOIN "user" u ON u.id = e.user_id
    WHERE e.id = answer.enrolment_id
"""
BACKFILL_OTHER = """
    UPDATE answer SET (course_id, course_version_id, organisation_id, branch_id, person_kind) = (
        SELECT e.course_id, e.course_version_id, u.organisation_id, u.branch_id, u.person_kind
        FROM enrolment e JOIN "user" u ON u.id = e.user_id
        WHERE e.id = answer.enrolment_id)
"""


def upgrade():
    # Dropped first so that the backfill does not maintain it.
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.drop_index('ix_answer_first_try', postgresql_where=FIRST_TRY, sqlite_where=FIRST_TRY)

    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('course_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('course_version_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('branch_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('person_kind', sa.String(length=10), nullable=True))

    postgresql = op.get_bind().dialect.name == 'postgresql'
    op.execute(BACKFILL_POSTGRESQL if postgresql else BACKFILL_OTHER)

    with op.batch_alter_table('answer', schema=None) as batch_op:
        for column in ('course_id', 'course_version_id', 'organisation_id'):
            batch_op.alter_column(column, existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('person_kind', existing_type=sa.String(length=10), nullable=False)
        batch_op.create_check_constraint(
            batch_op.f('ck_answer_person_kind'), "person_kind IN ('staff', 'volunteer')"
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_answer_course_id_course'), 'course', ['course_id'], ['id']
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_answer_course_version_id_course_version'),
            'course_version',
            ['course_version_id'],
            ['id'],
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_answer_organisation_id_organisation'), 'organisation', ['organisation_id'], ['id']
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_answer_branch_id_branch'), 'branch', ['branch_id'], ['id'], ondelete='SET NULL'
        )

    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.create_index(
            'ix_answer_first_try',
            [
                'organisation_id',
                'answered_at',
                'course_version_id',
                'block_id',
                'question_id',
                'correct',
                'course_id',
                'branch_id',
                'person_kind',
            ],
            unique=False,
            postgresql_where=FIRST_TRY,
            sqlite_where=FIRST_TRY,
        )


def downgrade():
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.drop_index('ix_answer_first_try', postgresql_where=FIRST_TRY, sqlite_where=FIRST_TRY)

    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_answer_branch_id_branch'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_answer_organisation_id_organisation'), type_='foreignkey')
        batch_op.drop_constraint(
            batch_op.f('fk_answer_course_version_id_course_version'), type_='foreignkey'
        )
        batch_op.drop_constraint(batch_op.f('fk_answer_course_id_course'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('ck_answer_person_kind'), type_='check')
        for column in reversed(NEW_COLUMNS):
            batch_op.drop_column(column)

    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.create_index(
            'ix_answer_first_try',
            ['enrolment_id', 'answered_at', 'block_id', 'question_id', 'correct'],
            unique=False,
            postgresql_where=FIRST_TRY,
            sqlite_where=FIRST_TRY,
        )
