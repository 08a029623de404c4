#!/usr/bin/env python3
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

"""Add OpenStack's Apache 2.0 header to every Python file that lacks one.

    python tools/add_license_headers.py [--check] [PATH ...]

PATHs default to heat_snapshots/, benchmarks/ and tools/, and doc/,
api-ref/, releasenotes/ and setup.py: every file flake8 reads. The header
is the exact text hacking's H103 compares, put after a shebang or an
encoding line and before everything else (the module docstring stays the
module's docstring). Files that already carry an Apache notice or an SPDX
line are left alone, and so are empty files (an ``__init__.py`` of only a
header would trip H104): running it twice changes nothing. ``--check``
changes nothing and exits 1 listing the files without a header.
"""

import argparse
import os
import re
import sys

HEADER = """\
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
"""

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_PATHS = ['heat_snapshots', 'benchmarks', 'tools', 'setup.py', 'doc',
                 'api-ref', 'releasenotes']
SKIP_DIRS = {'.git', '.tox', '__pycache__', 'build', '.venv'}
# What hacking's H102 accepts as a header (within the first columns).
HAS_LICENSE = re.compile(r'^.{0,9}(Licensed under the Apache License'
                         r'|SPDX-License-Identifier:)', re.MULTILINE)
# PEP 263: an encoding declaration on the first or second line.
ENCODING = re.compile(r'^[ \t\f]*#.*?coding[:=]')


def python_files(paths):
    for path in paths:
        if os.path.isfile(path):
            if path.endswith('.py'):
                yield path
            continue
        for directory, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS
                             and not d.endswith('.egg-info'))
            for name in sorted(files):
                if name.endswith('.py'):
                    yield os.path.join(directory, name)


def with_header(text):
    """``text`` with the header, or None when it needs none."""
    if not text.strip() or HAS_LICENSE.search(text):
        return None
    lines = text.splitlines(keepends=True)
    keep = 0
    # A shebang, then an encoding line, stay first (in this order).
    if lines and lines[0].startswith('#!'):
        keep = 1
    if len(lines) > keep and ENCODING.match(lines[keep]):
        keep += 1
    head, rest = ''.join(lines[:keep]), ''.join(lines[keep:])
    if head and not head.endswith('\n'):
        head += '\n'
    # One blank line between the header and what follows.
    return head + HEADER + '\n' + rest.lstrip('\n')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--check', action='store_true',
                        help='change nothing; exit 1 if a file lacks one')
    parser.add_argument('paths', nargs='*')
    args = parser.parse_args(argv)
    paths = args.paths or [os.path.join(TOP, p) for p in DEFAULT_PATHS
                           if os.path.exists(os.path.join(TOP, p))]
    changed = []
    for path in python_files(paths):
        with open(path, encoding='utf-8') as f:
            text = f.read()
        new = with_header(text)
        if new is None:
            continue
        changed.append(os.path.relpath(path))
        if not args.check:
            with open(path, 'w', encoding='utf-8') as f:
                f.write(new)
    verb = 'lack' if args.check else 'got'
    for path in changed:
        print('%s: %s the header' % (path, verb))
    print('%d file(s) %s the Apache 2.0 header' % (len(changed), verb))
    return 1 if args.check and changed else 0


if __name__ == '__main__':
    sys.exit(main())
