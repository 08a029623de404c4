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

"""List the production modules with logic and no mirrored unit test module.

The unit tests mirror the package: ``heat_snapshots/<path>/<module>.py`` is
tested by ``heat_snapshots/tests/unit/<path>/test_<module>.py`` (a package's
``<path>/<package>/__init__.py`` by ``tests/unit/<path>/test_<package>.py``).

A module *has logic* when, at its top level, it defines a function, or a
class with at least one method. Not logic, so no test module is asked for:

* constants, option and policy declarations, exception classes without
  methods, and ``__init__`` modules that only import and re-export;
* the oslo declaration hooks ``register_opts``, ``list_opts`` and
  ``list_rules``: they register or return the module's declarations (a
  module whose only functions are these declares, it does not compute);
* the alembic environment and migrations (``db/alembic/``), which
  ``tests/unit/db/test_migrations.py`` runs up and down on every database.

Prints one line per module missing its test, then a count. Exits 1 when
a module misses its test and is not a known gap of
``tools/test_tree_gaps.txt`` (a list that only shrinks), or when a known
gap has its test now and its line should go. Run from anywhere:
``python tools/check_test_tree.py``.
"""

import argparse
import ast
import os
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = 'heat_snapshots'
UNIT = os.path.join(PACKAGE, 'tests', 'unit')

#: The known gaps: one module path a line; "#" starts a comment.
GAPS = os.path.join('tools', 'test_tree_gaps.txt')

#: Functions that declare, not compute (see the module's docstring).
DECLARATION_HOOKS = frozenset(['register_opts', 'list_opts', 'list_rules'])

#: Directories under the package that are not production modules, or are
#: tested as a whole elsewhere (see the module's docstring).
SKIPPED_DIRS = (os.path.join(PACKAGE, 'tests'),
                os.path.join(PACKAGE, 'db', 'alembic'))

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def logic(source):
    """The names of the functions and classes with methods in ``source``,
    but the declaration hooks.
    """
    found = []
    for node in ast.parse(source).body:
        if isinstance(node, _FUNCTIONS):
            if node.name not in DECLARATION_HOOKS:
                found.append(node.name)
        elif isinstance(node, ast.ClassDef):
            if any(isinstance(item, _FUNCTIONS) for item in node.body):
                found.append(node.name)
    return found


def mirrored_test(module):
    """``tests/unit/...`` path of the test module of ``module``, a path
    relative to the top directory.
    """
    relative = os.path.relpath(module, PACKAGE)
    directory, name = os.path.split(relative)
    if name == '__init__.py':
        directory, name = os.path.split(directory)
        name += '.py'
    return os.path.join(UNIT, directory, 'test_' + name)


def production_modules(top):
    for root, dirs, files in os.walk(os.path.join(top, PACKAGE)):
        relative_root = os.path.relpath(root, top)
        dirs[:] = sorted(
            d for d in dirs
            if os.path.join(relative_root, d) not in SKIPPED_DIRS
            and d != '__pycache__')
        for name in sorted(files):
            if name.endswith('.py'):
                yield os.path.join(relative_root, name)


def missing(top=TOP):
    """[(module, its test module, [names with logic])] without the test."""
    result = []
    for module in production_modules(top):
        with open(os.path.join(top, module), encoding='utf-8') as f:
            names = logic(f.read())
        test = mirrored_test(module)
        if names and not os.path.exists(os.path.join(top, test)):
            result.append((module, test, names))
    return result


def known_gaps(top=TOP):
    path = os.path.join(top, GAPS)
    if not os.path.exists(path):
        return set()
    with open(path, encoding='utf-8') as f:
        return {line.split('#', 1)[0].strip() for line in f} - {''}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--top', default=TOP,
                        help='the repository (default: this script\'s)')
    args = parser.parse_args(argv)
    found = missing(args.top)
    gaps = known_gaps(args.top)
    new = 0
    for module, test, names in found:
        known = module in gaps
        new += not known
        print('%s: no %s (logic: %s)%s' % (module, test, ', '.join(names),
                                           ' [known gap]' if known else ''))
    closed = sorted(gaps - {module for module, _test, _names in found})
    for module in closed:
        print('%s: listed in %s but not a gap (any more): remove the line'
              % (module, GAPS))
    print('%d production module(s) with logic and no mirrored test module '
          '(%d known gaps, %d new)' % (len(found), len(found) - new, new))
    return 1 if new or closed else 0


if __name__ == '__main__':
    sys.exit(main())
