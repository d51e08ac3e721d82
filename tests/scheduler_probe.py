"""Run as a process by tests: start the app with the scheduler offered; say LEADER when this process leads,
FOLLOWER when it has bid for the lead and lost."""
import sys
import time

from core import create_app

app = create_app()
runner = app.extensions["scheduler"]
deadline = time.monotonic() + float(sys.argv[1])
said = set()
while time.monotonic() < deadline:
    if runner.running and "LEADER" not in said:
        print("LEADER", flush=True)
        said.add("LEADER")
    if runner.lost_bids and "FOLLOWER" not in said:
        print("FOLLOWER", flush=True)
        said.add("FOLLOWER")
    time.sleep(0.1)
runner.stop()
