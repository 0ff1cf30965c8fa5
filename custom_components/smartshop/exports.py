"""The folder of files SmartShop writes for the owner (subject-access archives, evidence packs,
audit CSVs, reports) and the authenticated view that lets an administrator download them (a period
report also through a signed link, since it holds no personal data).

Files live in ``<config>/smartshop/exports`` (0700; each file 0600). They hold personal data, so
the view is for administrators only (``permissions.py``) and never cached; a name is a plain file
name in that folder (no paths), and a symbolic link or anything that is not a regular file in it
is refused, so a request cannot reach anything else. A signed link counts only when its signature
is valid for exactly that file: it then acts as whom it was signed for (an administrator's
console), or, for a period report, opens that one report.

A file that shows or names a person is recorded with the person's id before it is written
(``database.async_record_export``, see export_records.py), and written while holding
``exports_lock``, which an erasure holds too: an export either is complete and recorded before
the erasure looks for the person's files, or starts after it and finds nobody.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from http import HTTPStatus
import os
from pathlib import Path
import re
import stat
from typing import Final

from aiohttp import web
from homeassistant.core import HomeAssistant
from homeassistant.helpers.http import KEY_HASS, HomeAssistantView
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN
from .permissions import VIEW_EXPORTS, VIEWS, is_allowed, request_user, signed_request_user

EXPORTS_FOLDER: Final = "exports"
# Period reports hold no name and no photo: a link signed for them (the report action makes one
# for notifications) may be opened without an administrator's sign-in.
REPORT_PREFIX: Final = "report-"
URL_TEMPLATE: Final = "/api/smartshop/exports/{name}"
DATA_EXPORTS_LOCK: HassKey[asyncio.Lock] = HassKey(f"{DOMAIN}_exports_lock")
_NAME: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_CONTENT_TYPES: Final = {
    ".zip": "application/zip",
    ".csv": "text/csv",
    ".pdf": "application/pdf",
    ".json": "application/json",
}


def exports_dir(hass: HomeAssistant) -> Path:
    """The exports folder (not created here: ``prepare_export_path`` does, in an executor)."""
    return Path(hass.config.path(DOMAIN, EXPORTS_FOLDER))


def exports_lock(hass: HomeAssistant) -> asyncio.Lock:
    """Held while a file about a person is written and recorded, and while a person is erased."""
    if (lock := hass.data.get(DATA_EXPORTS_LOCK)) is None:
        lock = hass.data[DATA_EXPORTS_LOCK] = asyncio.Lock()
    return lock


def is_export_name(name: str) -> bool:
    """Whether ``name`` can be a file of the exports folder (a plain name, not hidden)."""
    return bool(_NAME.match(name)) and not name.startswith(".")


def export_name(kind: str, extension: str, now: datetime | None = None) -> str:
    """A file name that says what the file is and when it was made, e.g.
    ``audit-log-20261202T101500Z.csv``."""
    stamp = (now or dt_util.utcnow()).strftime("%Y%m%dT%H%M%SZ")
    name = f"{kind}-{stamp}{extension}"
    if not _NAME.match(name):
        raise ValueError(f"not a valid export name: {name}")
    return name


def prepare_export_path(folder: Path, name: str) -> Path:
    """Create the folder (0700) and return the path for ``name`` (blocking)."""
    if not _NAME.match(name):
        raise ValueError(f"not a valid export name: {name}")
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder.chmod(0o700)
    return folder / name


def write_export(folder: Path, name: str, data: bytes) -> Path:
    """Write one export atomically (a hidden temporary, then a rename), readable by the owner
    only from the first byte (blocking)."""
    path = prepare_export_path(folder, name)
    temporary = path.with_name(f".{name}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    temporary.replace(path)
    return path


def regular_export(folder: Path, name: str) -> Path | None:
    """The path of ``name`` if it is a regular file directly in the folder (not a symbolic link,
    not a hidden temporary), else None (blocking)."""
    if not _NAME.match(name) or name.startswith("."):
        return None
    path = folder / name
    try:
        mode = path.lstat().st_mode
    except OSError:
        return None
    if not stat.S_ISREG(mode) or path.resolve().parent != folder.resolve():
        return None
    return path


def download_path(name: str) -> str:
    """The path under which an administrator downloads an export."""
    return URL_TEMPLATE.format(name=name)


class ExportView(HomeAssistantView):
    """GET one export file (administrators only)."""

    url = URL_TEMPLATE
    name = VIEW_EXPORTS
    requires_auth = True

    async def get(self, request: web.Request, name: str) -> web.StreamResponse:
        """Return the file, 401 for anyone not allowed it, 404 for anything else."""
        hass = request.app[KEY_HASS]
        signer = signed_request_user(hass, request)
        allowed = is_allowed(hass, VIEWS[VIEW_EXPORTS], signer or request_user(request)) or (
            # A report holds no name and no photo: its own signed link opens it for anyone.
            signer is not None and name.startswith(REPORT_PREFIX)
        )
        if not allowed:
            return web.Response(status=HTTPStatus.UNAUTHORIZED)
        path = await hass.async_add_executor_job(regular_export, exports_dir(hass), name)
        if path is None:
            return web.Response(status=HTTPStatus.NOT_FOUND)
        return web.FileResponse(
            path,
            headers={
                "Content-Type": _CONTENT_TYPES.get(path.suffix, "application/octet-stream"),
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )
