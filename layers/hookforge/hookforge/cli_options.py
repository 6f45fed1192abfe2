"""Options every `hookforge` command spells the same way."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

HomeOption = Annotated[
    Path,
    typer.Option("--home", envvar="HOOKFORGE_HOME", help="Local state: mirrored bucket and tables.", show_default=True),
]
OutOption = Annotated[Path, typer.Option("--out", help="Where finished runs are copied (<out>/<run_id>/).")]
