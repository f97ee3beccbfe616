"""`flask orgs ...` commands."""

import click


@click.group("orgs", help="Manage orgs.")
def orgs() -> None:
    pass
