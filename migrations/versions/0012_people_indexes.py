"""drop the two people indexes that others cover: ``ix_people_body_id`` (the leading column of
``ix_people_body_id_name``) and ``ix_people_id_number`` (``ix_people_id_number_prefix`` serves equality too); a
million-row import maintains every index of the table

Revision ID: 0012_people_indexes
Revises: 0011_life_cycle
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0012_people_indexes'
down_revision = '0011_life_cycle'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_index('ix_people_id_number')
        batch_op.drop_index('ix_people_body_id')


def downgrade():
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.create_index('ix_people_body_id', ['body_id'], unique=False)
        batch_op.create_index('ix_people_id_number', ['id_number'], unique=False)
