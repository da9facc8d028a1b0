"""one tag table with per-kind views; file names on model

Per-model rows drop from ~22 to ~8: the listing's file names move into `model.file_names` (model_file keeps
only files with sizes, LFS data or a stored copy), and framework/library/dataset/language/paper with their
model_to_* links become views over `tag` + `model_to_tag` instead of a second copy of each tag.

Revision ID: 9f8d3f7bd884
Revises: 9350fdb9ff9c
Create Date: 2026-12-03 09:46:08.197239
"""
from alembic import op
import sqlalchemy as sa


revision = '9f8d3f7bd884'
down_revision = '9350fdb9ff9c'
branch_labels = None
depends_on = None

KINDS = {"framework": "framework", "library": "library", "dataset": "dataset", "language": "language",
         "paper": "arxiv"}  # view -> tag kind


def _lookup_sql(view: str, kind: str) -> str:
    name = "'arxiv:' || value" if view == "paper" else "value"
    return f"SELECT MIN(id) AS id, {name} AS name FROM tag WHERE kind = '{kind}' GROUP BY value"


def _link_sql(view: str, kind: str) -> str:
    name = "'arxiv:' || t.value" if view == "paper" else "t.value"
    sql = (f"SELECT DISTINCT mt.model_id AS model_id, v.id AS {view}_id FROM model_to_tag mt "
           f"JOIN tag t ON t.id = mt.tag_id JOIN {view} v ON v.name = {name} WHERE t.kind = '{kind}'")
    if view == "library":  # the listing's library_name, tagged or not
        sql += " UNION SELECT m.id AS model_id, v.id AS library_id FROM model m JOIN library v ON v.name = m.library_name"
    return sql


def upgrade() -> None:
    with op.batch_alter_table('model', schema=None) as batch_op:
        batch_op.add_column(sa.Column('file_names', sa.JSON(none_as_null=True), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        names = "(SELECT json_agg(f.path ORDER BY f.id) FROM model_file f WHERE f.model_id = model.id)"
    else:
        names = "(SELECT json_group_array(path) FROM (SELECT path FROM model_file f WHERE f.model_id = model.id ORDER BY f.id))"
    op.execute(f"UPDATE model SET file_names = {names} WHERE id IN (SELECT model_id FROM model_file)")
    op.execute("DELETE FROM model_file WHERE size IS NULL AND blob_id IS NULL AND lfs_sha256 IS NULL "
               "AND lfs_size IS NULL AND stored_digest IS NULL")
    # a library_name that no tag names gets a `library:<name>` tag, so the library view has an id for it
    op.execute("INSERT INTO tag (name, kind, value) SELECT DISTINCT 'library:' || library_name, 'library', library_name "
               "FROM model WHERE library_name IS NOT NULL "
               "AND library_name NOT IN (SELECT value FROM tag WHERE kind = 'library') "
               "AND 'library:' || library_name NOT IN (SELECT name FROM tag)")
    for view in KINDS:
        op.drop_table(f'model_to_{view}')
    for view in KINDS:
        op.drop_table(view)
    for view, kind in KINDS.items():
        op.execute(f"CREATE VIEW {view} AS {_lookup_sql(view, kind)}")
        op.execute(f"CREATE VIEW model_to_{view} AS {_link_sql(view, kind)}")
    with op.batch_alter_table('model_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_model_file_model_id'))


def downgrade() -> None:
    with op.batch_alter_table('model_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_model_file_model_id'), ['model_id'], unique=False)
    for view in KINDS:  # keep the views' rows, then turn them back into tables
        op.execute(f"CREATE TABLE keep_{view} AS SELECT * FROM {view}")
        op.execute(f"CREATE TABLE keep_model_to_{view} AS SELECT * FROM model_to_{view}")
    for view in KINDS:
        op.execute(f"DROP VIEW model_to_{view}")
        op.execute(f"DROP VIEW {view}")
    for view in KINDS:
        extra = [sa.Column('title', sa.TEXT(), nullable=True), sa.Column('url', sa.VARCHAR(length=1024), nullable=True)] \
            if view == "paper" else []
        op.create_table(view, sa.Column('id', sa.INTEGER(), nullable=False),
                        sa.Column('name', sa.VARCHAR(length=512), nullable=False), *extra,
                        sa.PrimaryKeyConstraint('id'), sa.UniqueConstraint('name'))
        op.create_table(f'model_to_{view}', sa.Column('model_id', sa.INTEGER(), nullable=False),
                        sa.Column(f'{view}_id', sa.INTEGER(), nullable=False),
                        sa.ForeignKeyConstraint([f'{view}_id'], [f'{view}.id'], ondelete='CASCADE'),
                        sa.ForeignKeyConstraint(['model_id'], ['model.id'], ondelete='CASCADE'),
                        sa.PrimaryKeyConstraint('model_id', f'{view}_id'))
        with op.batch_alter_table(f'model_to_{view}', schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f'ix_model_to_{view}_{view}_id'), [f'{view}_id'], unique=False)
        op.execute(f"INSERT INTO {view} (id, name) SELECT id, name FROM keep_{view}")
        op.execute(f"INSERT INTO model_to_{view} SELECT * FROM keep_model_to_{view}")
        op.execute(f"DROP TABLE keep_model_to_{view}")
        op.execute(f"DROP TABLE keep_{view}")
    if op.get_bind().dialect.name == "postgresql":
        files = "SELECT m.id, f.value FROM model m, json_array_elements_text(m.file_names) AS f"
    else:
        files = "SELECT m.id, f.value FROM model m, json_each(m.file_names) AS f"
    op.execute(f"INSERT INTO model_file (model_id, path) {files} WHERE m.file_names IS NOT NULL "
               "AND NOT EXISTS (SELECT 1 FROM model_file x WHERE x.model_id = m.id AND x.path = f.value)")
    # not a batch rebuild: on SQLite, dropping the old `model` table would cascade into its child tables
    op.execute("ALTER TABLE model DROP COLUMN file_names")
