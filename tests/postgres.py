"""A throwaway PostgreSQL server for tests: Debian's `postgresql` binaries (`make db-deps`), its
own data folder and a free local port, stopped and started at will."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

DEBIAN_BINARIES = Path("/usr/lib/postgresql")


def server_binaries() -> Path:
    """The folder holding initdb and pg_ctl: Debian's newest version, else whichever is on PATH."""
    found = sorted(DEBIAN_BINARIES.glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    on_path = shutil.which("initdb")
    if found:
        return found[-1].parent
    if on_path:
        return Path(on_path).resolve().parent
    raise FileNotFoundError("no PostgreSQL server (initdb): `make db-deps` installs Debian's")


class Postgres:
    """One database `name` owned by `user` (password `password`) on 127.0.0.1:`port`."""

    def __init__(self, port: int, user: str, password: str, name: str) -> None:
        self.port, self.user, self.password, self.name = port, user, password, name
        self.bin = server_binaries()
        # PostgreSQL refuses to run as root; it runs as the `postgres` account in a folder of
        # its own (pytest's temporary folders are private to root).
        self.folder = Path(tempfile.mkdtemp(prefix="appraiser-pg-"))
        self.data = self.folder / "data"
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")

    @property
    def url(self) -> str:
        """The database's URL (libpq's form; SQLAlchemy names the driver: postgresql+psycopg)."""
        return f"postgresql://{self.user}:{self.password}@127.0.0.1:{self.port}/{self.name}"

    def create(self) -> None:
        """initdb, start, and create the database."""
        secret = self.folder / "password"
        secret.write_text(self.password)
        if os.geteuid() == 0:
            shutil.chown(secret, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", self.user, f"--pwfile={secret}",
                  "--auth=scram-sha-256", "--encoding=UTF8")  # fmt: skip
        secret.unlink()
        self.start()
        env = {**os.environ, "PGPASSWORD": self.password}
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, self.name,
                  env=env)  # fmt: skip

    def start(self) -> None:
        """Start the server and wait until it takes connections."""
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "start")

    def stop(self) -> None:
        """Stop the server now (connections are cut, as when a database host goes away)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        """Stop the server if it runs, and delete its folder."""
        subprocess.run(self._command("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop"),
                       capture_output=True, check=False)  # fmt: skip
        shutil.rmtree(self.folder, ignore_errors=True)

    @property
    def log(self) -> Path:
        """The server's own log."""
        return self.folder / "server.log"

    def _command(self, program: str, *args: str) -> list[str]:
        command = [str(self.bin / program), *args]
        return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command

    def _run(self, program: str, *args: str, env: dict[str, str] | None = None) -> None:
        done = subprocess.run(self._command(program, *args), capture_output=True, text=True,
                              env=env, check=False)  # fmt: skip
        if done.returncode != 0:
            log = self.log.read_text()[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{program} {' '.join(args)}: {done.stderr[-2000:]}\n{log}")
