"""the map: a case's point and its accuracy, places imported by admins

Revision ID: cb8910b975ce
Revises: 42d2bffc92d2
Create Date: 2026-12-02 05:00:00

"""
from alembic import op
import sqlalchemy as sa

import hotline.models.base


revision = 'cb8910b975ce'
down_revision = "42d2bffc92d2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'place',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.Enum('district', 'street', 'community', 'landmark', 'road',
                                  name='placekind', native_enum=False, length=12),
                  nullable=False),
        sa.Column('name', sa.String(length=60), nullable=False),
        sa.Column('district', sa.String(length=60), nullable=False),
        sa.Column('street', sa.String(length=60), nullable=True),
        sa.Column('keywords', sa.Text(), nullable=False),
        sa.Column('lat', sa.Double(), nullable=True),
        sa.Column('lon', sa.Double(), nullable=True),
        sa.Column('outline', sa.JSON(), nullable=True),
        sa.Column('source', sa.String(length=200), nullable=False),
        sa.Column('imported_by_id', sa.Integer(), nullable=True),
        sa.Column('imported_at', hotline.models.base.UTCDateTime(timezone=True),
                  nullable=False),
        sa.ForeignKeyConstraint(['imported_by_id'], ['user_account.id'],
                                name=op.f('fk_place_imported_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_place')),
        sa.UniqueConstraint('kind', 'district', 'name', name='uq_place_kind_district_name'),
    )
    with op.batch_alter_table('case') as batch:
        batch.add_column(sa.Column('lat', sa.Double(), nullable=True))
        batch.add_column(sa.Column('lon', sa.Double(), nullable=True))
        batch.add_column(sa.Column('geo_accuracy', sa.Enum(
            'exact', 'street', 'district', name='geoaccuracy', native_enum=False, length=10),
            nullable=True))
    op.create_index('ix_case_map', 'case',
                    ['created_at', 'lat', 'lon', 'district', 'street', 'geo_accuracy', 'status',
                     'category_id', 'department_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_case_map', table_name='case')
    with op.batch_alter_table('case') as batch:
        batch.drop_column('geo_accuracy')
        batch.drop_column('lon')
        batch.drop_column('lat')
    op.drop_table('place')
