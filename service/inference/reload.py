"""Hot reload: poll the registry and serve the version an alias points to once it is warm.

A version that fails to load while the registry answers is remembered and not retried until the
alias moves again, so a broken model costs one attempt, not one every interval. A registry that
cannot be reached counts as a failed reload each time; the model being served stays.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from service.inference.registry import alias_parts
from service.inference.slot import ModelSlot

log = logging.getLogger(__name__)
VersionResolver = Callable[[str], str | None]
START_RETRY_S = 5.0


class AliasWatcher:
    """Every `interval_s`, looks up what `uri` means now and loads it when that changed."""

    def __init__(
        self, slot: ModelSlot, uri: str, interval_s: float, version_of: VersionResolver
    ) -> None:
        self._slot = slot
        self._uri = uri
        self._interval_s = interval_s
        self._version_of = version_of
        self._failed_version: str | None = None

    async def run(self) -> None:
        """Load the model now, then check every interval; cancel the task to stop.

        With reloading off (interval 0) it still retries every START_RETRY_S until a first
        model serves: a service started while the registry is down becomes ready once it is back.
        """
        await self.check()
        while self._interval_s > 0 or self._slot.version is None:
            await asyncio.sleep(self._interval_s or START_RETRY_S)
            await self.check()

    async def check(self) -> None:
        """One look at the registry; loads a new version, or retries when nothing is serving."""
        parts = alias_parts(self._uri)
        if parts is None:
            if self._slot.version is None:  # a pinned model that is not serving: retry it
                await self._slot.load(self._uri)
            return
        try:
            version = await asyncio.to_thread(self._version_of, self._uri)
        # The registry is another service: whatever goes wrong reaching it, keep serving.
        except Exception as exc:
            log.warning("cannot look up %s: %s; will try again", self._uri, exc)
            self._slot.failed(f"cannot look up {self._uri}: {exc}")
            return
        if version is None or version in (self._slot.version, self._failed_version):
            return
        log.info("%s now points to version %s; loading it", self._uri, version)
        if await self._slot.load(f"models:/{parts[0]}/{version}"):
            self._failed_version = None
        elif await self._registry_answers():
            self._failed_version = version  # the version itself is broken: one attempt is enough

    async def _registry_answers(self) -> bool:
        """Whether the registry answers now: a load that failed while it was down is retried."""
        try:
            await asyncio.to_thread(self._version_of, self._uri)
        except Exception:  # any failure to reach it: the load may have failed for the same reason
            return False
        return True
