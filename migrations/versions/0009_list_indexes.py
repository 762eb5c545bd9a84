"""list indexes: the console's default views, filters and sorts at national scale (issue 10)

Partial indexes on applications (submitted_at, id) and (body_id, submitted_at, id) where submitted_at is set (the
lists of all submitted applications, oldest 上报 first), (status, decided_at, id) for the 审批 queue, the newest-first
list of identity corrections (all, and a body's), and the audit log's 操作 filter.

Revision ID: 0009_list_indexes
Revises: 0008_electronic_certificates
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_list_indexes"
down_revision = "0008_electronic_certificates"
branch_labels = None
depends_on = None

SUBMITTED = sa.text("submitted_at IS NOT NULL")


def upgrade():
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.create_index("ix_applications_submitted_at_id", ["submitted_at", "id"], unique=False,
                              postgresql_where=SUBMITTED, sqlite_where=SUBMITTED)
        batch_op.create_index("ix_applications_body_id_submitted_at_id", ["body_id", "submitted_at", "id"],
                              unique=False, postgresql_where=SUBMITTED, sqlite_where=SUBMITTED)
        batch_op.create_index("ix_applications_status_decided_at_id", ["status", "decided_at", "id"], unique=False)
    with op.batch_alter_table("identity_corrections", schema=None) as batch_op:
        batch_op.create_index("ix_identity_corrections_body_id_created_at", ["body_id", "created_at"], unique=False)
        batch_op.create_index("ix_identity_corrections_created_at", ["created_at"], unique=False)
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_action_created_at", ["action", "created_at"], unique=False)


def downgrade():
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_action_created_at")
    with op.batch_alter_table("identity_corrections", schema=None) as batch_op:
        batch_op.drop_index("ix_identity_corrections_created_at")
        batch_op.drop_index("ix_identity_corrections_body_id_created_at")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index("ix_applications_status_decided_at_id")
        batch_op.drop_index("ix_applications_body_id_submitted_at_id")
        batch_op.drop_index("ix_applications_submitted_at_id")
