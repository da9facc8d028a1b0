from alembic import context
from sqlalchemy import create_engine

from peatmoss.db.models import Base

config = context.config
target_metadata = Base.metadata


def _migrate(conn) -> None:
    # SQLite's batch mode rebuilds a table under a temporary name; views over it (tag, model_to_tag,
    # model) must not stop the rename, so rename the legacy way while migrating
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:
        conn.exec_driver_sql("PRAGMA legacy_alter_table=ON")
    context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
    if sqlite:
        conn.exec_driver_sql("PRAGMA legacy_alter_table=OFF")


def run() -> None:
    conn = config.attributes.get("connection")
    if conn is not None:
        _migrate(conn)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as conn:
        _migrate(conn)


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    run()
