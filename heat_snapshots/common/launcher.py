"""Run a service in this process or in several forked workers.

A service is any object with ``start()`` (returns once serving) and
``stop()`` (returns once stopped). SIGTERM and SIGINT stop it cleanly; with
several workers the parent forwards them and replaces a worker that dies.
"""

import os
import signal
import threading
import time

from oslo_log import log as logging

LOG = logging.getLogger(__name__)

_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
# A worker that dies sooner than this after its start is not restarted in a
# loop: the parent gives up and stops.
_MIN_WORKER_LIFETIME = 5


def _wait_for_stop_signal():
    stop = threading.Event()

    def handler(signum, frame):
        LOG.info('Caught %s, stopping', signal.Signals(signum).name)
        stop.set()

    for signum in _STOP_SIGNALS:
        signal.signal(signum, handler)
    while not stop.wait(1):
        pass


def run_in_process(make_service):
    service = make_service()
    service.start()
    try:
        _wait_for_stop_signal()
    finally:
        service.stop()


def _spawn(make_service):
    pid = os.fork()
    if pid == 0:
        for signum in _STOP_SIGNALS:
            signal.signal(signum, signal.SIG_DFL)
        status = 0
        try:
            run_in_process(make_service)
        except BaseException:
            LOG.exception('Worker %d failed', os.getpid())
            status = 1
        finally:
            os._exit(status)
    return pid, time.monotonic()


def run(make_service, workers=1, before_fork=None):
    """Serve until SIGTERM or SIGINT with ``workers`` processes."""
    if workers <= 1:
        run_in_process(make_service)
        return
    if before_fork is not None:
        before_fork()
    children = dict(_spawn(make_service) for _ in range(workers))
    stopping = threading.Event()

    def handler(signum, frame):
        stopping.set()
        for pid in list(children):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    for signum in _STOP_SIGNALS:
        signal.signal(signum, handler)
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        started = children.pop(pid, None)
        if started is None or stopping.is_set():
            continue
        LOG.error('Worker %d exited with status %d', pid, status)
        if time.monotonic() - started < _MIN_WORKER_LIFETIME:
            LOG.error('Worker died right after its start; stopping')
            handler(signal.SIGTERM, None)
            continue
        new_pid, new_started = _spawn(make_service)
        children[new_pid] = new_started
