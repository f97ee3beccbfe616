"""`flask users ...` commands."""

import click


@click.group("users", help="Manage user accounts and roles.")
def users() -> None:
    pass
