"""Column types shared by the models and the migrations."""

from oslo_serialization import jsonutils
import sqlalchemy as sa
from sqlalchemy.dialects import mysql


class Json(sa.types.TypeDecorator):
    """A JSON document stored as text.

    Snapshot data holds a whole template and every resource's data, so on
    MySQL it is a LONGTEXT: TEXT stops at 64 KiB.
    """

    impl = sa.Text
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == 'mysql':
            return dialect.type_descriptor(mysql.LONGTEXT())
        return dialect.type_descriptor(sa.Text())

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return jsonutils.dumps(value)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return jsonutils.loads(value)
