# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""Cached virtualenvs for the services the functional tests install.

Keystone, Heat and tempest come from PyPI into virtualenvs of their own
(they pin libraries heat-snapshots does not). Each lives in
``<cache>/venv``, made once and reused while it works: a working one has
its commands and imports its probe modules. ``ensure()`` holds a file lock
on the cache, because stestr's test processes may all ask at once and only
one may install.

A fixture subclasses ``CachedVirtualenv`` and sets what it installs
(``packages``), how to tell it works (``commands``, ``probe``), the error
it raises (``unavailable``), and the variable with extra ``pip install``
arguments (``pip_args_variable``).
"""

import fcntl
import os
import shutil
import subprocess
import sys
import time

from heat_snapshots.tests.functional import deployment

INSTALL_TIMEOUT = 1200
COMMAND_TIMEOUT = 300
PROBE_TIMEOUT = 120


def find_python(min_version, variable, unavailable, what):
    """An interpreter of ``min_version`` or newer for a virtualenv.

    ``$variable`` when set, else this one when new enough, else the
    newest ``python3.N`` on ``PATH``.

    :raises: ``unavailable`` naming ``variable`` when none is found.
    """
    wanted = os.environ.get(variable)
    if wanted:
        return wanted
    if sys.version_info[:2] >= tuple(min_version):
        return sys.executable
    for minor in range(13, min_version[1] - 1, -1):
        found = shutil.which('python%d.%d' % (min_version[0], minor))
        if found:
            return found
    raise unavailable('%s needs Python %d.%d or newer: none found (set %s)'
                      % ((what,) + tuple(min_version) + (variable,)))


class CachedVirtualenv:
    """``packages`` in ``<directory>/venv``, made once and reused."""

    #: What the virtualenv holds, for messages ("Keystone", "tempest").
    what = None
    #: ``pip install`` arguments.
    packages = ()
    #: Commands under ``bin/`` a working virtualenv has.
    commands = ('python',)
    #: Python code a working virtualenv runs without error.
    probe = None
    #: The exception class raised when the virtualenv cannot be made.
    unavailable = RuntimeError
    #: The variable with extra ``pip install`` arguments (a version pin).
    pip_args_variable = None

    def __init__(self, directory):
        self.dir = directory
        self.path = os.path.join(self.dir, 'venv')
        self.bin = os.path.join(self.path, 'bin')
        self.log = os.path.join(self.dir, 'install.log')
        #: Seconds spent installing; 0 when the cached one worked.
        self.install_seconds = 0.0

    def python(self):
        """The interpreter the virtualenv is made with."""
        return sys.executable

    def command(self, name):
        return os.path.join(self.bin, name)

    def run(self, argv, log, timeout=COMMAND_TIMEOUT, env=None, what=None):
        """:raises: ``unavailable`` with the output's tail on failure."""
        deployment.run_logged(argv, log, self.unavailable, timeout, env=env,
                              what=what)

    def works(self):
        if not all(os.access(self.command(n), os.X_OK)
                   for n in self.commands):
            return False
        if not self.probe:
            return True
        try:
            return subprocess.run(
                [self.command('python'), '-c', self.probe],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=PROBE_TIMEOUT).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            return False

    def ensure(self):
        """Make the virtualenv unless a working one is there.

        :raises: ``unavailable``.
        """
        os.makedirs(self.dir, exist_ok=True)
        with open(os.path.join(self.dir, '.lock'), 'w') as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                if self.works():
                    return self
                started = time.monotonic()
                self._install()
                self.install_seconds = time.monotonic() - started
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
        return self

    def _install(self):
        shutil.rmtree(self.path, ignore_errors=True)
        with open(self.log, 'w'):
            pass
        self.run([self.python(), '-m', 'venv', self.path], self.log,
                 what='creating the %s virtualenv' % self.what)
        extra = (os.environ.get(self.pip_args_variable, '').split()
                 if self.pip_args_variable else [])
        packages = list(self.packages) + extra
        # Only the virtualenv's own packages: the caller's PIP_* settings
        # (a constraints file made for heat-snapshots) are kept.
        self.pip_install(packages, self.log, timeout=INSTALL_TIMEOUT,
                         what='pip install %s (%s from PyPI)'
                              % (' '.join(packages), self.what))
        if not self.works():
            raise self.unavailable('%s installed in %s does not work; see %s'
                                   % (self.what, self.path, self.log))

    def pip_install(self, arguments, log, timeout=COMMAND_TIMEOUT,
                    what=None):
        """``pip install arguments`` in the virtualenv.

        :raises: ``unavailable``.
        """
        self.run([self.command('python'), '-m', 'pip', 'install', '--quiet',
                  '--disable-pip-version-check'] + list(arguments), log,
                 timeout=timeout, what=what)
