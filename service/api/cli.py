"""`appraise serve`: run the HTTP service on a logged model."""

from __future__ import annotations

from typing import Annotated

import typer

serve_app = typer.Typer()


@serve_app.command("serve")
def serve(
    model: Annotated[
        str | None,
        typer.Option(
            help="MLflow model URI (default: APPRAISER_MODEL_URI, else models:/appraiser@champion)."
        ),
    ] = None,
    host: Annotated[
        str | None, typer.Option(help="Address to bind (default: APPRAISER_HOST, else 127.0.0.1).")
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help="Port to bind (default: APPRAISER_PORT, else 8000)."),
    ] = None,
) -> None:
    """Serve price predictions over HTTP, with a demo page at / and API docs at /docs."""
    import logging

    from pydantic import ValidationError

    from service.api.settings import Settings
    from service.inference.settings import settings_errors

    overrides = {"model_uri": model, "host": host, "port": port}
    try:
        settings = Settings(**{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
    except ValidationError as exc:
        typer.echo("\n".join(settings_errors(exc)), err=True)
        raise typer.Exit(2) from None
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    from service.api.app import create_app
    from service.api.drain import Drain
    from service.api.server import run

    typer.echo(f"serving {settings.model_uri} on http://{settings.host}:{settings.port}/", err=True)
    drain = Drain()
    run(create_app(settings, drain=drain), drain, settings)
