"""`flask votes verify VOTE_ID`."""
import click
from flask.cli import AppGroup

from votes.services import tally, verify
from votes.models import Vote
from core.commits import one_snapshot
from core.extensions import db

cli = AppGroup("votes", help="Consent votes.")


@cli.command("verify")
@click.argument("vote_id", type=int)
@click.option("--head", default=None, help="A chain head as published on the result notice, or a receipt.")
def verify_command(vote_id, head):
    """Recompute the keyed hash chain and the tally; exit 1 and list what was tampered with."""
    with one_snapshot(db.session):  # the log, the ballots and the count as they stood at one moment
        problems = verify(vote_id, head=head)
        vote = db.session.get(Vote, vote_id)
        result, count = tally(vote), vote.event_count
    click.echo(f"vote {vote_id}: {count} log entries; participating heads {result.participating_heads}, "
               f"agreeing heads {result.agree_heads}; approved {result.approved}")
    if problems:
        for problem in problems:
            click.echo(f"TAMPERED: {problem}", err=True)
        raise SystemExit(1)
    click.echo("chain and tally verified")
