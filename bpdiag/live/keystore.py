"""Bumble's JSON key store, written owner-only.

``bumble.keys.JsonKeyStore.save`` writes a temporary file with the process umask (0644 under
the usual 022: every LTK, IRK and CSRK world-readable) and renames it over the store.  This
subclass creates the temporary file 0600 (and the directory 0700) before any key is written
into it, so no moment exists at which the keys are readable by others; the rename keeps that
mode.  It also syncs the file before the rename, so a crash leaves the old store or the new
one, never half of one.
"""

from __future__ import annotations

import json
import os
from typing import Any

from bumble.keys import JsonKeyStore


class PrivateJsonKeyStore(JsonKeyStore):  # type: ignore[misc]
    async def save(self, db: dict[str, dict[str, dict[str, Any]]]) -> None:
        self.directory_name.mkdir(parents=True, exist_ok=True, mode=0o700)
        temp = self.filename.with_name(self.filename.name + ".tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(fd, 0o600)  # a leftover .tmp may have had another mode
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                fd = -1
                json.dump(db, out, sort_keys=True, indent=4)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            if fd >= 0:
                os.close(fd)
            temp.unlink(missing_ok=True)
            raise
        os.replace(temp, self.filename)
