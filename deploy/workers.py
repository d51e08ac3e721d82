"""The web worker of the production profile (deploy/gunicorn.conf.py: `worker_class`)."""
from gunicorn import sock, util
from gunicorn.workers.gthread import ThreadWorker


class StoppingThreadWorker(ThreadWorker):
    """gunicorn's threaded worker, for a socket of its own per worker (reuse_port): the kernel gives new connections
    to every such socket that is open, so each is open only while its worker accepts.

    - It listens once the app is loaded (a few seconds of CPU as a worker replaces a recycled one), not from the
      fork: a connection given to it meanwhile waited for the whole load.
    - It closes its socket as soon as it begins to stop (recycled after max_requests, restarted, shut down), not
      once its last request has ended: a connection given to it meanwhile waited up to graceful_timeout, then was
      reset. Connections already in its queue are reset, or handed to another worker where
      net.ipv4.tcp_migrate_req=1 (docs/deploy.md)."""

    def load_wsgi(self):
        if not self.cfg.reuse_port:
            return super().load_wsgi()
        for listener in self.sockets:
            listener.close()
        super().load_wsgi()
        self.sockets = sock.create_sockets(self.cfg, self.log)
        for listener in self.sockets:
            util.close_on_exec(listener)
        self.wait_fds = self.sockets + [self.PIPE[0]]
        return None

    def set_accept_enabled(self, enabled):
        super().set_accept_enabled(enabled)
        if not enabled and not self.alive and self.cfg.reuse_port:
            for listener in self.sockets:
                listener.close()  # closing it again as the worker exits does nothing
