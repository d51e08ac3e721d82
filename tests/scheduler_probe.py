"""Run as a process by tests: start the app with the scheduler offered, say when this process leads."""
import sys
import time

from core import create_app

app = create_app()
runner = app.extensions["scheduler"]
deadline = time.monotonic() + float(sys.argv[1])
announced = False
while time.monotonic() < deadline:
    if runner.running and not announced:
        print("LEADER", flush=True)
        announced = True
    time.sleep(0.1)
runner.stop()
