"""uploaded files kept in the database (the storage's database backend)

Revision ID: 0010_stored_files
Revises: 0009_list_indexes
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_stored_files'
down_revision = '0009_list_indexes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stored_files',
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_stored_files'))
    )


def downgrade():
    op.drop_table('stored_files')
