"""The embedded Celery broker: kombu's filesystem transport, made safe for several processes.

kombu's own filesystem transport creates a message file and only then writes into it, so a
consumer polling the folder can take the file while it is still empty; the worker then dies
with `JSONDecodeError` ("Unrecoverable error", https://github.com/celery/kombu/issues/1551).
Its exchange tables (which queue an exchange routes to) have the same window. Here:

- a message is written whole in `staging_folder` and renamed into the queue folder, so it
  appears there complete or not at all (a rename within one filesystem is atomic);
- a consumer claims a message by renaming it out of the queue folder, so exactly one
  consumer gets it;
- a message that still cannot be decoded (written by something else, or damaged on disk)
  is moved to `rejected_folder` and logged as an error, and the worker goes on;
- exchange tables are rewritten whole under a lock and renamed into place.

Every folder must be on one filesystem (they are all under `var/broker/` by default); the
transport creates them. Selected by `CELERY_BROKER_TRANSPORT` in shop/settings/base.py.
"""

import binascii
import fcntl
import logging
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from queue import Empty
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads
from kombu.utils.objects import cached_property

logger = logging.getLogger(__name__)

# What a damaged message file can raise while it is decoded and turned into a message.
UNDECODABLE = (ValueError, KeyError, TypeError, AttributeError, binascii.Error)


class Channel(filesystem.Channel):
    """A filesystem channel whose messages and exchange tables appear atomically."""

    def __init__(self, connection, **kwargs):
        super().__init__(connection, **kwargs)
        for folder in (
            self.data_folder_in,
            self.data_folder_out,
            self.processed_folder,
            self.control_folder,
            self.staging_folder,
            self.rejected_folder,
        ):
            Path(folder).mkdir(parents=True, exist_ok=True)

    # --- Messages ----------------------------------------------------------------------------

    def _put(self, queue, payload, **kwargs):
        """Put `payload` onto `queue`: written whole elsewhere, then renamed into the queue."""
        # Zero-padded so that sorting the names keeps the order messages were sent in.
        name = f"{round(monotonic() * 1000):015d}_{uuid.uuid4()}.{queue}.msg"
        try:
            self._write_atomically(Path(self.data_folder_out) / name, str_to_bytes(dumps(payload)))
        except OSError as exc:
            raise ChannelError(f"Cannot add message {name!r} to {self.data_folder_out}") from exc

    def _get(self, queue):
        """Take the oldest message of `queue`; set aside (and log) any that cannot be read."""
        wanted = f"{queue}.msg"
        for name in sorted(os.listdir(self.data_folder_in)):
            if name.partition(".")[2] != wanted:
                continue
            claimed = Path(self.processed_folder) / name
            try:
                os.rename(Path(self.data_folder_in) / name, claimed)
            except FileNotFoundError:
                continue  # another consumer took it first
            except OSError as exc:
                raise ChannelError(f"Cannot take message {name!r} from the queue") from exc
            try:
                raw = claimed.read_bytes()
            except OSError as exc:
                raise ChannelError(f"Cannot read message {name!r}") from exc
            try:
                payload = loads(bytes_to_str(raw))
                self.Message(payload, channel=self)  # every part a worker will read is there
            except UNDECODABLE as exc:
                self._reject_file(claimed, reason=f"{type(exc).__name__}: {exc}", size=len(raw))
                continue
            if not self.store_processed:
                claimed.unlink(missing_ok=True)
            return payload
        raise Empty()

    def _reject_file(self, claimed: Path, *, reason: str, size: int) -> None:
        rejected = Path(self.rejected_folder) / claimed.name
        try:
            os.replace(claimed, rejected)
        except OSError:
            rejected = claimed
        logger.error(
            "Rejected a broker message that cannot be decoded (%s, %d bytes), kept as %s",
            reason,
            size,
            rejected,
        )

    # --- Exchange tables (which queues an exchange routes to) --------------------------------

    def get_table(self, exchange):
        file = self._exchange_file(exchange)
        try:
            raw = file.read_bytes()
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise ChannelError(f"Cannot open {file}") from exc
        try:
            return [filesystem.exchange_queue_t(*row) for row in loads(bytes_to_str(raw))]
        except UNDECODABLE as exc:
            # Only a table written by an older transport can be damaged; the next bind rewrites it.
            logger.error("Ignored an undecodable broker exchange table %s (%s)", file, exc)
            return []

    def _queue_bind(self, exchange, routing_key, pattern, queue):
        binding = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
        with self._table_lock(exchange):
            table = self.get_table(exchange)
            if binding not in table:
                self._write_table(exchange, [binding, *table])

    def _delete(self, queue, exchange, routing_key, pattern, *args, **kwargs):
        # The virtual channel's own bookkeeping; kombu's filesystem parent would rewrite the file.
        super(filesystem.Channel, self)._delete(
            queue, exchange, routing_key, pattern, *args, **kwargs
        )
        binding = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
        with self._table_lock(exchange):
            table = self.get_table(exchange)
            if binding in table:
                self._write_table(exchange, [row for row in table if row != binding])

    @contextmanager
    def _table_lock(self, exchange) -> Iterator[None]:
        """Serialise read-modify-write of one exchange table across processes."""
        exchange_file = self._exchange_file(exchange)
        lock_file = exchange_file.with_name(f"{exchange_file.name}.lock")
        try:
            with lock_file.open("ab") as handle:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        except OSError as exc:
            raise ChannelError(f"Cannot lock {lock_file}") from exc

    def _write_table(self, exchange, table) -> None:
        self._write_atomically(self._exchange_file(exchange), str_to_bytes(dumps(table)))

    # --- Files ---------------------------------------------------------------------------------

    def _write_atomically(self, destination: Path, content: bytes) -> None:
        staged = Path(self.staging_folder) / f"{uuid.uuid4()}.tmp"
        try:
            staged.write_bytes(content)
            os.replace(staged, destination)
        finally:
            staged.unlink(missing_ok=True)

    @cached_property
    def staging_folder(self) -> str:
        default = Path(self.data_folder_out).parent / "staging"
        return self.transport_options.get("staging_folder", str(default))

    @cached_property
    def rejected_folder(self) -> str:
        default = Path(self.data_folder_in).parent / "rejected"
        return self.transport_options.get("rejected_folder", str(default))


class Transport(filesystem.Transport):
    """kombu's filesystem transport with the atomic channel above."""

    Channel = Channel
    # Its own state: kombu's transport keeps a class-level one that this must not share.
    global_state = filesystem.virtual.BrokerState()

    @property
    def default_connection_params(self):
        # A folder has no host: without this kombu warns "No hostname was supplied" on every
        # connection it describes.
        return {"port": self.default_port}
