"""Database sessions, read with one plain SQL statement.

Every signed-in request reads its session first, and Django's database
backend builds that query through the ORM each time: about a third of a
millisecond, as much as the rest of a member's cached page. Without Redis
(where sessions are cached_db) that is the only query such a page costs.
Writing, expiring and deleting sessions stay Django's own."""

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    def load(self):
        model = self.model
        connection = connections[router.db_for_read(model)]
        table = connection.ops.quote_name(model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT session_data FROM {table} WHERE session_key = %s AND expire_date > %s",  # noqa: S608 (the model's table)
                [self.session_key, connection.ops.adapt_datetimefield_value(timezone.now())],
            )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None  # as Django's: a new session gets a new key
            return {}
        return self.decode(row[0])
