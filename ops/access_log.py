"""Gunicorn's access lines, scrubbed like every other line (`config/gunicorn.py` uses it).

The plain access log is written by gunicorn itself, not through our formatters, and its
path carries secrets: the Connect webhook's URL token above all (whoever has it may post
messages). Every value a format may use is passed through `ops.scrub.scrub_text`.
"""

from typing import Any

from gunicorn.glogging import Logger

from ops.scrub import scrub_text


class ScrubbedLogger(Logger):  # type: ignore[misc]  # gunicorn has no type hints
    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> Any:
        atoms = super().atoms(resp, req, environ, request_time)
        return {k: scrub_text(v) if isinstance(v, str) else v for k, v in atoms.items()}
