"""Our own infrastructure failing: the database, the cache or the broker.

Work that meets one of these is retried (or left for the sweep), never marked failed, and
never counted as a DocuSign attempt: DocuSign did nothing wrong.
"""

from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

INFRASTRUCTURE_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    RedisError,
    BrokerError,
    ConnectionError,
)
