"""Deploy facts and secrets from ``MOTCUA_*`` variables (each also as ``NAME_FILE``)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

REPO_ROOT = Path(__file__).resolve().parent.parent
IPNetwork = IPv4Network | IPv6Network
LOOPBACK: tuple[IPNetwork, ...] = (ip_network("127.0.0.0/8"), ip_network("::1/128"))


class SettingsError(Exception):
    pass


def env(name: str, default: str | None = None) -> str | None:
    """``MOTCUA_X`` or the contents of the file named by ``MOTCUA_X_FILE`` (systemd credentials)."""
    value = os.environ.get(name)
    if value is None and (path := os.environ.get(name + "_FILE")):
        try:
            value = Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SettingsError(f"{name}_FILE: cannot read {path}: {exc.strerror}") from None
    return value if value not in (None, "") else default


@dataclass(frozen=True)
class Settings:
    instance: Path
    database_url: str
    config_dir: Path
    message_queue: str | None
    secret_key: str
    timezone: str
    printer: str | None
    public_url: str | None
    channel: str = "motcua"
    trusted_proxies: int = 0
    connections_per_address: int = 200
    max_connections: int = 10000
    access_log: str | None = None
    print_workers: bool = True
    # How long client addresses stay in the audit log and ticket histories (0: cleared at the
    # next housekeeping round).
    address_retention_days: int = 30
    metrics_token: str | None = None
    metrics_allow: tuple[IPNetwork, ...] = LOOPBACK

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """Read the environment; keyword arguments win (used by tests)."""

        def pick(key: str, default: str | None = None) -> str | None:
            if key in overrides:
                return overrides[key]
            return env("MOTCUA_" + key.upper(), default)

        instance = Path(pick("instance") or REPO_ROOT / "instance").resolve()
        tz = pick("timezone", "Asia/Ho_Chi_Minh") or "Asia/Ho_Chi_Minh"
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingsError(f"MOTCUA_TIMEZONE: unknown timezone {tz!r}") from None
        url = pick("database_url") or f"sqlite:///{instance / 'motcua.sqlite3'}"
        return cls(
            instance=instance,
            database_url=url,
            config_dir=Path(pick("config") or REPO_ROOT / "config").resolve(),
            message_queue=pick("message_queue"),
            secret_key=pick("secret_key") or _instance_secret(instance),
            timezone=tz,
            printer=pick("printer"),
            public_url=(pick("public_url") or "").rstrip("/") or None,
            channel=pick("channel") or "motcua",
            trusted_proxies=_int(pick, "trusted_proxies", 0, lo=0, hi=10),
            connections_per_address=_int(pick, "connections_per_address", 200, lo=1, hi=100_000),
            max_connections=_int(pick, "max_connections", 10_000, lo=10, hi=1_000_000),
            access_log=pick("access_log"),
            print_workers=_int(pick, "print_workers", 1, lo=0, hi=1) == 1,
            address_retention_days=_int(pick, "address_retention_days", 30, lo=0, hi=3650),
            metrics_token=pick("metrics_token"),
            metrics_allow=_networks(pick, "metrics_allow", LOOPBACK),
        )


def _networks(pick: Any, key: str, default: tuple[IPNetwork, ...]) -> tuple[IPNetwork, ...]:
    """Addresses or networks separated by commas or spaces, e.g. ``127.0.0.1, 10.0.0.0/24``."""
    raw = pick(key)
    if raw is None:
        return default
    try:
        return tuple(ip_network(p, strict=False) for p in raw.replace(",", " ").split())
    except ValueError as exc:
        raise SettingsError(f"MOTCUA_{key.upper()}: {exc}") from None


def _int(pick: Any, key: str, default: int, *, lo: int, hi: int) -> int:
    raw = pick(key)
    if raw is None:
        return default
    name = "MOTCUA_" + key.upper()
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise SettingsError(f"{name}: {raw!r} is not a whole number") from None
    if not lo <= value <= hi:
        raise SettingsError(f"{name}: {value} is out of range ({lo}…{hi})")
    return value


def _instance_secret(instance: Path) -> str:
    """A secret generated once and kept in the instance folder (mode 0600)."""
    path = instance / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise SettingsError(f"state folder {instance} (MOTCUA_INSTANCE): {exc.strerror}") from None
    key = secrets.token_hex(32)
    try:
        instance.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race
        return path.read_text().strip()
    except OSError as exc:
        raise SettingsError(
            f"state folder {instance} (MOTCUA_INSTANCE): cannot keep the secret key there: "
            f"{exc.strerror}; give the server a folder it may write, or set MOTCUA_SECRET_KEY"
        ) from None
    try:
        os.write(fd, key.encode())
    except BaseException:
        os.close(fd)
        raise
    os.close(fd)
    return key
