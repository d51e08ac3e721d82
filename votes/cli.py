"""`flask votes verify VOTE_ID`."""
import click
from flask.cli import AppGroup

from votes.services import tally, verify
from votes.models import Vote
from core.extensions import db

cli = AppGroup("votes", help="Consent votes.")


@cli.command("verify")
@click.argument("vote_id", type=int)
def verify_command(vote_id):
    """Recompute the hash chain and the tally; exit 1 and list what was tampered with."""
    problems = verify(vote_id)
    vote = db.session.get(Vote, vote_id)
    result = tally(vote)
    click.echo(f"vote {vote_id}: {vote.event_count} log entries; participating heads {result.participating_heads}, "
               f"agreeing heads {result.agree_heads}; approved {result.approved}")
    if problems:
        for problem in problems:
            click.echo(f"TAMPERED: {problem}", err=True)
        raise SystemExit(1)
    click.echo("chain and tally verified")
