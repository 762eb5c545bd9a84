"""the registration life cycle: 初始/逾期初始/变更/重新/注销 applications, their uploaded materials, a body's
注销 filed beside the person's own open application, 纸质材料已收到, exam passes' 资格证书 date, and the 执业证
number sequences

Revision ID: 0011_life_cycle
Revises: 0010_stored_files
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_life_cycle'
down_revision = '0010_stored_files'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('certificate_sequences',
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('prefix', name=op.f('pk_certificate_sequences'))
    )
    op.create_table('application_materials',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('item', sa.String(length=30), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('storage_key', sa.String(length=32), nullable=False),
    sa.Column('thumbnail_key', sa.String(length=32), nullable=True),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('pages', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('replace_requested_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('replace_reason', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_application_materials_application_id_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_application_materials_person_id_people')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_application_materials_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_application_materials'))
    )
    with op.batch_alter_table('application_materials', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_application_materials_application_id'), ['application_id'], unique=False)

    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('exam_record_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('filed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('paper_received_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('paper_received_by_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_applications_exam_record_id'), ['exam_record_id'], unique=False)
        # the person's own open application: one at a time; a body's filed 注销 stands beside it
        batch_op.drop_index('uq_applications_open_person')
        batch_op.create_index('uq_applications_open_person', ['person_id'], unique=True, postgresql_where=sa.text("status IN ('draft', 'submitted', 'returned', 'initial_passed') AND filed_by_id IS NULL"), sqlite_where=sa.text("status IN ('draft', 'submitted', 'returned', 'initial_passed') AND filed_by_id IS NULL"))
        batch_op.create_index('ix_applications_kind_status', ['kind', 'status'], unique=False)
        batch_op.create_index('uq_applications_filed_open_person', ['person_id'], unique=True, postgresql_where=sa.text("status IN ('draft', 'submitted', 'returned', 'initial_passed') AND filed_by_id IS NOT NULL"), sqlite_where=sa.text("status IN ('draft', 'submitted', 'returned', 'initial_passed') AND filed_by_id IS NOT NULL"))
        batch_op.create_foreign_key(batch_op.f('fk_applications_exam_record_id_exam_records'), 'exam_records', ['exam_record_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_applications_paper_received_by_id_staff'), 'staff', ['paper_received_by_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_applications_filed_by_id_staff'), 'staff', ['filed_by_id'], ['id'])

    with op.batch_alter_table('exam_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('qualified_on', sa.Date(), nullable=True))



def downgrade():
    with op.batch_alter_table('exam_records', schema=None) as batch_op:
        batch_op.drop_column('qualified_on')

    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_applications_filed_by_id_staff'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_applications_paper_received_by_id_staff'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_applications_exam_record_id_exam_records'), type_='foreignkey')
        batch_op.drop_index('uq_applications_filed_open_person', postgresql_where=sa.text("status IN ('draft', 'submitted', 'returned', 'initial_passed') AND filed_by_id IS NOT NULL"), sqlite_where=sa.text("status IN ('draft', 'submitted', 'returned', 'initial_passed') AND filed_by_id IS NOT NULL"))
        batch_op.drop_index('ix_applications_kind_status')
        batch_op.drop_index('uq_applications_open_person')
        batch_op.create_index('uq_applications_open_person', ['person_id'], unique=True, postgresql_where=sa.text("status IN ('draft', 'submitted', 'returned', 'initial_passed')"), sqlite_where=sa.text("status IN ('draft', 'submitted', 'returned', 'initial_passed')"))
        batch_op.drop_index(batch_op.f('ix_applications_exam_record_id'))
        batch_op.drop_column('paper_received_by_id')
        batch_op.drop_column('paper_received_at')
        batch_op.drop_column('filed_by_id')
        batch_op.drop_column('exam_record_id')

    with op.batch_alter_table('application_materials', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_application_materials_application_id'))

    op.drop_table('application_materials')
    op.drop_table('certificate_sequences')
