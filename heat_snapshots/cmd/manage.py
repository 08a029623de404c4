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

"""heat-snapshots-manage: operator commands on the database.

``heat-snapshots-manage db sync`` brings the schema to the newest revision;
``heat-snapshots-manage db version`` prints the revision the database is at
(``None`` for a database that has never been synced). The database is
``[database] connection`` of heat.conf, as for the services::

    heat-snapshots-manage --config-file /etc/heat/heat.conf db sync

``heat-snapshots-manage artifacts audit`` looks up every artifact of the
artifact ledger in its project, with the service user of
``[heat_snapshots_service_auth]``, and prints the orphans (artifacts whose
snapshot is gone or does not reference them), the artifacts that went
missing out of band and the snapshots they belong to. It deletes nothing.
"""

import sys

from oslo_config import cfg
from oslo_db import exception as db_exc
from sqlalchemy import exc as sqla_exc

from heat_snapshots.common import context as hs_context
from heat_snapshots.common import exception
from heat_snapshots.common import service
from heat_snapshots import conf
from heat_snapshots.db import api as db_api
from heat_snapshots.db import migration
from heat_snapshots.engine import reconciler

CONF = conf.CONF


class DbCommands:
    """The ``db`` sub-commands; each returns the process exit status."""

    def sync(self):
        migration.upgrade('head')
        return 0

    def version(self):
        print(migration.version())
        return 0


def _line(finding):
    entry = finding.entry
    return ('  %s %s name=%s project=%s snapshot=%s resource=%s '
            'recorded=%s: %s' % (
                entry.plugin, finding.artifact_id or '(no id)', entry.name,
                entry.project_id, entry.snapshot_id, entry.resource_name,
                entry.created_at.isoformat(), finding.reason))


# The sections of the audit: (verdict, title), in the order printed.
_SECTIONS = (
    (reconciler.ORPHAN, 'Orphaned artifacts (the reconciler deletes '
                        'them once older than reconcile_min_age)'),
    (reconciler.MISSING, 'Artifacts missing out of band (recorded, gone '
                         'from the cloud)'),
    (reconciler.NOT_OURS, 'Left alone: found under a ledger entry\'s '
                          'name or id but without its markers'),
    (reconciler.UNKNOWN, 'Could not be looked up'),
)


def format_audit(context, findings):
    """The audit's report, as lines."""
    lines = []
    by_verdict = {}
    for finding in findings:
        by_verdict.setdefault(finding.verdict, []).append(finding)
    for verdict, title in _SECTIONS:
        found = by_verdict.get(verdict, [])
        lines.append('%s: %d' % (title, len(found)))
        lines.extend(_line(finding) for finding in found)
    missing = {}
    for finding in by_verdict.get(reconciler.MISSING, []):
        missing.setdefault(finding.entry.snapshot_id, []).append(
            finding.artifact_id)
    lines.append('Snapshots whose artifacts went missing: %d' % len(missing))
    for snapshot_id, artifact_ids in sorted(missing.items()):
        try:
            snapshot = db_api.snapshot_get(context, snapshot_id)
            what = 'stack %s (%s), %s %s' % (
                snapshot.stack_name, snapshot.stack_id, snapshot.action,
                snapshot.status)
        except exception.SnapshotIdNotFound:
            what = 'gone'
        lines.append('  %s: %s; missing: %s' % (
            snapshot_id, what, ', '.join(sorted(artifact_ids))))
    counts = ', '.join('%d %s' % (len(v), k)
                       for k, v in sorted(by_verdict.items()))
    lines.append('Ledger entries examined: %d (%s); nothing was deleted' % (
        len(findings), counts or 'none'))
    return lines


class ArtifactCommands:
    """The ``artifacts`` sub-commands."""

    def audit(self):
        context = hs_context.get_admin_context()
        try:
            findings = reconciler.audit(context, CONF)
        except exception.ServiceUnavailable as e:
            print('ERROR: %s' % e.message, file=sys.stderr)
            return 1
        for line in format_audit(context, findings):
            print(line)
        return 0


def add_command_parsers(subparsers):
    db = DbCommands()
    parser = subparsers.add_parser(
        'db', help='Database schema commands.')
    # Without a default, "heat-snapshots-manage db" would fail with an
    # AttributeError instead of showing what it can do.
    parser.set_defaults(func=parser.print_help)
    db_parsers = parser.add_subparsers(title='db commands')

    sync = db_parsers.add_parser(
        'sync', help='Upgrade the schema to the newest revision.')
    sync.set_defaults(func=db.sync)

    version = db_parsers.add_parser(
        'version', help='Print the revision of the schema.')
    version.set_defaults(func=db.version)

    artifacts = ArtifactCommands()
    parser = subparsers.add_parser(
        'artifacts', help='Artifacts (backups, images) in the cloud.')
    parser.set_defaults(func=parser.print_help)
    artifact_parsers = parser.add_subparsers(title='artifacts commands')
    audit = artifact_parsers.add_parser(
        'audit', help='Print orphaned and missing artifacts of the '
                      'artifact ledger; deletes nothing.')
    audit.set_defaults(func=artifacts.audit)


command_opt = cfg.SubCommandOpt(
    'command', title='Commands', help='Available commands',
    handler=add_command_parsers)


def main(argv=None):
    if argv is None:
        argv = sys.argv
    CONF.register_cli_opt(command_opt)
    service.prepare_service(argv)
    try:
        return CONF.command.func()
    except (db_exc.DBError, sqla_exc.SQLAlchemyError) as e:
        # The operator needs the reason, not a traceback through alembic.
        print('ERROR: %s' % e, file=sys.stderr)
        return 1
    except ImportError as e:
        # Only PyMySQL comes with heat-snapshots; psycopg2 and the like are
        # the operator's choice.
        print('ERROR: the driver of [database] connection is not '
              'installed: %s' % e, file=sys.stderr)
        return 1


if __name__ == '__main__':
    sys.exit(main())
