"""Storage: SQLAlchemy 2 models, engines and migrations, and the queries over them.

SQLite by default, PostgreSQL through the same URL-driven code. Imports nothing
else of wiredupe.
"""

from storage.errors import DatabaseUnavailable, StorageError, UnknownGroup, redact_url
from storage.models import SOURCE_LENGTH, URL_LENGTH
from storage.queries import (
    ArticleText,
    GroupUpdate,
    MemberRow,
    StoredSignature,
    add_boilerplate,
    add_signatures,
    articles_by_source,
    boilerplate,
    count_articles,
    create_groups,
    export_articles,
    finish_run,
    get_group,
    group_members,
    insert_articles,
    list_groups,
    list_runs,
    record_rejections,
    set_groups,
    start_run,
    stored_urls,
    ungrouped_articles,
    update_groups,
    window_signatures,
)
from storage.session import DEFAULT_URL, make_engine, make_session_factory, upgrade

__all__ = [
    "DEFAULT_URL",
    "SOURCE_LENGTH",
    "URL_LENGTH",
    "ArticleText",
    "DatabaseUnavailable",
    "GroupUpdate",
    "MemberRow",
    "StorageError",
    "StoredSignature",
    "UnknownGroup",
    "add_boilerplate",
    "add_signatures",
    "articles_by_source",
    "boilerplate",
    "count_articles",
    "create_groups",
    "export_articles",
    "finish_run",
    "get_group",
    "group_members",
    "insert_articles",
    "list_groups",
    "list_runs",
    "make_engine",
    "make_session_factory",
    "record_rejections",
    "redact_url",
    "set_groups",
    "start_run",
    "stored_urls",
    "ungrouped_articles",
    "update_groups",
    "upgrade",
    "window_signatures",
]
