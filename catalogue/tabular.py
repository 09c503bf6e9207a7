"""Reading and writing case documents as files (JSON or CSV)."""

import json
from pathlib import Path


def read_documents(path):
    """The list of case documents in a JSON file."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        with path.open(encoding="utf-8") as handle:
            try:
                data = json.load(handle)
            except json.JSONDecodeError as error:
                raise ValueError(f"not valid JSON (line {error.lineno}: {error.msg})") from error
        if not isinstance(data, list):
            raise ValueError("expected a JSON list of cases")
        return data
    raise ValueError("unknown file type: use .json or .csv")
