"""Alembic environment: runs migrations on the engine handed over by storage.session."""

from alembic import context

from storage.models import Base
from storage.search import include_name

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes["engine"]
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=False,  # batch mode on SQLite would rebuild tables and drop triggers
            compare_type=True,
            # The full-text objects are made by hand (migration 0007), not by the models.
            include_name=include_name,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
