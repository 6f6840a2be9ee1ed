"""routing models: stored paths relative to the models folder, so a restored or moved
instance folder keeps its models

Revision ID: e17b4c0a9d12
Revises: 9c2e7f1a3b58
Create Date: 2026-12-02 00:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'e17b4c0a9d12'
down_revision = '9c2e7f1a3b58'
branch_labels = None
depends_on = None

models = sa.table('classifier_model', sa.column('id', sa.Integer),
                  sa.column('version', sa.String), sa.column('path', sa.String))


def upgrade() -> None:
    """A path the app wrote (``<models folder>/<version>.joblib``, absolute) becomes the
    file's name; any other path stays as it is, and still loads."""
    connection = op.get_bind()
    rows = connection.execute(sa.select(models.c.id, models.c.version, models.c.path)
                              .where(models.c.path.is_not(None))).all()
    for row in rows:
        name = f"{row.version}.joblib"
        if row.path.startswith("/") and row.path.endswith("/" + name):
            connection.execute(models.update().where(models.c.id == row.id)
                               .values(path=name))


def downgrade() -> None:
    """Relative paths keep loading on the older code only from its working folder: the
    models folder is not known here, so the paths are left as they are."""
