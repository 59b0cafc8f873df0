"""JSON bodies written as the command line writes them (`ensure_ascii=False`)."""

import json
from typing import Any

from starlette.responses import Response


def json_bytes(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


class JSONBody(Response):
    """`hoidap ask --json`'s serialisation, so the API and the command line give equal text."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return json_bytes(content)
