"""review desk: 认领 (who works on an application) and the 退回 checklist kept by central staff

Revision ID: 0006_review_desk
Revises: 0005_calendar_days
"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0006_review_desk"
down_revision = "0005_calendar_days"
branch_labels = None
depends_on = None

#: common missing items offered on a fresh install (central staff edit them in the console)
DEFAULT_ITEMS = (
    "延续注册申请表未加盖聘用单位公章",
    "申请表未由申请人本人签名",
    "继续教育学时证明不全",
    "劳动合同或聘用证明复印件缺失",
    "身份证复印件不清晰或缺失",
    "执业证原件复印件缺失",
)


def upgrade():
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_applications_claimed_by_id"), ["claimed_by_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_applications_claimed_by_id_staff"), "staff", ["claimed_by_id"],
                                    ["id"])
    items = op.create_table(
        "return_checklist_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_checklist_items")),
        sa.UniqueConstraint("text", name=op.f("uq_return_checklist_items_text")),
    )
    now = datetime.now(UTC)
    op.bulk_insert(items, [{"text": text, "sort_order": index * 10, "active": True, "created_at": now,
                            "updated_at": now} for index, text in enumerate(DEFAULT_ITEMS, start=1)])


def downgrade():
    op.drop_table("return_checklist_items")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_applications_claimed_by_id_staff"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_applications_claimed_by_id"))
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("claimed_by_id")
