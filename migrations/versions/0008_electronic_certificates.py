"""electronic certificates (电子注册证书) and the public register's employer lookup

Revision ID: 0008_electronic_certificates
Revises: 0007_outbox
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_electronic_certificates'
down_revision = '0007_outbox'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('electronic_certificates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('certificate_id', sa.Integer(), nullable=False),
    sa.Column('serial', sa.String(length=24), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('category', sa.Enum('coal', 'metal_mine', 'chemical', 'metallurgy', 'construction', 'road', 'other', name='category', native_enum=False, length=20), nullable=False),
    sa.Column('employer_name', sa.String(length=200), nullable=True),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'], name=op.f('fk_electronic_certificates_certificate_id_certificates'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_electronic_certificates')),
    sa.UniqueConstraint('serial', name=op.f('uq_electronic_certificates_serial')),
    sa.UniqueConstraint('token', name=op.f('uq_electronic_certificates_token'))
    )
    with op.batch_alter_table('electronic_certificates', schema=None) as batch_op:
        batch_op.create_index('ix_electronic_certificates_certificate_id_issued_at', ['certificate_id', 'issued_at'], unique=False)
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificates_employer_name'), ['employer_name'], unique=False)


def downgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificates_employer_name'))
    with op.batch_alter_table('electronic_certificates', schema=None) as batch_op:
        batch_op.drop_index('ix_electronic_certificates_certificate_id_issued_at')
    op.drop_table('electronic_certificates')
