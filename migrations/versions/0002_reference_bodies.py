"""reference registration bodies

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27

The center (000000), the 31 provincial bodies and 新疆生产建设兵团 (GB/T 2260 codes), the department bodies and
the filed central enterprises. Contact details come later with ``import bodies``.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# The table as it is at this revision (not the ORM model, which may grow columns later).
bodies = sa.table(
    "bodies",
    sa.column("code", sa.String), sa.column("name", sa.String), sa.column("kind", sa.String),
    sa.column("province", sa.String), sa.column("category", sa.String), sa.column("sort_order", sa.Integer),
)


def upgrade():
    from portal.reference import reference_bodies

    existing = {row.code for row in op.get_bind().execute(sa.select(bodies.c.code))}
    rows = []
    for body in reference_bodies():
        if body["code"] in existing:
            continue
        category = body.get("category")
        rows.append({"code": body["code"], "name": body["name"], "kind": body["kind"].value,
                     "province": body.get("province"), "category": category.value if category else None,
                     "sort_order": body["sort_order"]})
    op.bulk_insert(bodies, rows)


def downgrade():
    from portal.reference import reference_bodies

    codes = [body["code"] for body in reference_bodies()]
    op.execute(bodies.delete().where(bodies.c.code.in_(codes)))
