"""Container health check: exit 0 when a URL answers 200, else 1 (no curl in the slim image).

Default URL: the service's /healthz on APPRAISER_PORT. The compose stack passes other URLs
(the service's /readyz, the MLflow server's /health).
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

TIMEOUT_S = 4.0


def default_url() -> str:
    """The liveness URL of `appraise serve` in this container."""
    return f"http://127.0.0.1:{os.environ.get('APPRAISER_PORT', '8000')}/healthz"


def healthy(url: str) -> bool:
    """True when `url` answers 200 within TIMEOUT_S."""
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def main(argv: list[str]) -> int:
    """Check the URL given as the only argument, or the default one."""
    return 0 if healthy(argv[1] if len(argv) > 1 else default_url()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
