"""A real Synapse homeserver on a free loopback port, for tests and benchmarks.

The config is written here (SQLite, one client listener, no federation, no
key servers, no URL previews, no stats) so nothing reaches the internet, and
rate limits are raised so tests are not slowed down by them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SERVER_NAME = "localhost"
SHARED_SECRET = "samvaer-test-registration-secret"
STARTUP_DEADLINE = 90.0

_LOG_CONFIG = """\
version: 1
formatters:
  plain:
    format: '%(asctime)s %(levelname)s %(name)s %(message)s'
handlers:
  file:
    class: logging.FileHandler
    filename: {log}
    formatter: plain
root:
  level: WARNING
  handlers: [file]
loggers:
  synapse.storage.SQL:
    level: WARNING
disable_existing_loggers: false
"""

_RATE = "{per_second: 10000, burst_count: 10000}"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _homeserver_yaml(directory: Path, port: int) -> str:
    return f"""\
server_name: "{SERVER_NAME}"
public_baseurl: "http://127.0.0.1:{port}/"
pid_file: "{directory}/homeserver.pid"
listeners:
  - port: {port}
    bind_addresses: ["127.0.0.1"]
    type: http
    tls: false
    x_forwarded: false
    resources:
      - names: [client]
        compress: false
database:
  name: sqlite3
  args:
    database: "{directory}/homeserver.db"
log_config: "{directory}/log.config"
media_store_path: "{directory}/media"
signing_key_path: "{directory}/signing.key"
registration_shared_secret: "{SHARED_SECRET}"
enable_registration: false
report_stats: false
macaroon_secret_key: "samvaer-test-macaroon"
form_secret: "samvaer-test-form"
trusted_key_servers: []
suppress_key_server_warning: true
federation_domain_whitelist: []
url_preview_enabled: false
enable_metrics: false
use_presence: false
include_profile_data_on_invite: true
require_auth_for_profile_requests: false
max_upload_size: 20M
bcrypt_rounds: 4
rc_message: {_RATE}
rc_registration: {_RATE}
rc_login:
  address: {_RATE}
  account: {_RATE}
  failed_attempts: {_RATE}
rc_joins:
  local: {_RATE}
  remote: {_RATE}
rc_joins_per_room: {_RATE}
rc_invites:
  per_room: {_RATE}
  per_user: {_RATE}
  per_issuer: {_RATE}
rc_admin_redaction: {_RATE}
rc_3pid_validation: {_RATE}
rc_presence:
  per_user: {_RATE}
rc_room_creation: {_RATE}
rc_media_create: {_RATE}
rc_reports: {_RATE}
rc_delayed_event_mgmt: {_RATE}
"""


@dataclass
class Account:
    """A registered user with a ready access token."""

    user_id: str
    password: str
    access_token: str
    device_id: str


class Synapse:
    """Start, stop and restart one homeserver; register users with the shared secret."""

    def __init__(self, directory: Path, port: int | None = None) -> None:
        self.directory = directory
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = directory / "homeserver.log"
        self._process: subprocess.Popen[bytes] | None = None
        self._output = directory / "stdout.log"
        self._write_config()

    def _write_config(self) -> None:
        from signedjson.key import generate_signing_key, write_signing_keys

        (self.directory / "media").mkdir(parents=True, exist_ok=True)
        (self.directory / "homeserver.yaml").write_text(
            _homeserver_yaml(self.directory, self.port), encoding="utf-8"
        )
        (self.directory / "log.config").write_text(
            _LOG_CONFIG.format(log=self.log_path), encoding="utf-8"
        )
        with (self.directory / "signing.key").open("w", encoding="utf-8") as key_file:
            write_signing_keys(key_file, [generate_signing_key("a_test")])

    def log_tail(self, lines: int = 60) -> str:
        """The end of Synapse's own log and output, for failure messages."""
        parts = []
        for path in (self.log_path, self._output):
            if path.exists():
                text = path.read_text(encoding="utf-8", errors="replace").splitlines()
                parts.append(f"--- {path.name}\n" + "\n".join(text[-lines:]))
        return "\n".join(parts)

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start the process and wait until the client API answers."""
        output = self._output.open("ab")
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "synapse.app.homeserver",
                "-c",
                str(self.directory / "homeserver.yaml"),
            ],
            cwd=self.directory,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        output.close()
        deadline = time.monotonic() + STARTUP_DEADLINE
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"Synapse exited at start:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(
                    f"{self.url}/_matrix/client/versions", timeout=2
                ) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)  # waiting for a process to come up, not a test timing
        self.stop()
        raise RuntimeError(f"Synapse did not answer within {STARTUP_DEADLINE}s:\n{self.log_tail()}")

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL if it lingers)."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.url}{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def limit_messages(
        self, admin: Account, user_id: str, per_second: int, burst_count: int
    ) -> None:
        """Give one account its own message rate limit (Synapse's per-user override)."""
        request = urllib.request.Request(
            f"{self.url}/_synapse/admin/v1/users/{user_id}/override_ratelimit",
            data=json.dumps(
                {"messages_per_second": per_second, "burst_count": burst_count}
            ).encode(),
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {admin.access_token}",
            },
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()

    def register(self, localpart: str, password: str = "", *, admin: bool = False) -> Account:
        """Register a user through the shared-secret admin API."""
        password = password or f"pw-{localpart}-secret"
        nonce = self._request("GET", "/_synapse/admin/v1/register")["nonce"]
        mac = hmac.new(SHARED_SECRET.encode(), digestmod=hashlib.sha1)
        for part in (nonce, localpart, password):
            mac.update(part.encode())
            mac.update(b"\x00")
        mac.update(b"admin" if admin else b"notadmin")
        answer = self._request(
            "POST",
            "/_synapse/admin/v1/register",
            {
                "nonce": nonce,
                "username": localpart,
                "password": password,
                "admin": admin,
                "mac": mac.hexdigest(),
            },
        )
        return Account(answer["user_id"], password, answer["access_token"], answer["device_id"])
