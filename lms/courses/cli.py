"""`flask courses ...` commands."""

import click


@click.group("courses", help="Manage courses.")
def courses() -> None:
    pass
