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

"""Stack snapshots, with what python-heatclient's commands lack.

Heat's five verbs (create, list, show, restore, delete) are
``openstack orchestration snapshot <verb>`` here: python-heatclient owns
``openstack stack snapshot <verb>``, and openstackclient would pick either
implementation of a name given twice. What heatclient does not have is
also ``openstack stack snapshot clone|cancel|resource list``.

Snapshots are named by id or by name (unique among the stack's).
"""

import time

from osc_lib.command import command
from osc_lib import exceptions

from heat_snapshots_client import client as hs_client
from heat_snapshots_client.osc.v1 import policies

#: Seconds between two polls of --wait.
POLL_INTERVAL = 2

SNAPSHOT_COLUMNS = ('id', 'name', 'action', 'status', 'status_reason',
                    'creation_time')
RESOURCE_COLUMNS = ('name', 'status', 'status_reason', 'artifact_id',
                    'started_at', 'finished_at')
CHANGES = ('added', 'deleted', 'replaced', 'updated', 'unchanged')
# The actions a restore's stack update ends in.
RESTORE_ENDS = ('RESTORE_', 'ROLLBACK_')


def _client(cmd):
    return cmd.app.client_manager.orchestration_snapshots


def _add_stack_snapshot(parser, many=False):
    parser.add_argument('stack', metavar='<stack>',
                        help='Stack (name or id)')
    if many:
        parser.add_argument('snapshots', metavar='<snapshot>', nargs='+',
                            help='Snapshot (name or id); several may be '
                                 'given')
    else:
        parser.add_argument('snapshot', metavar='<snapshot>',
                            help='Snapshot (name or id)')


class _Waiter:
    """Polls until a snapshot or a stack settles; progress on stderr."""

    def __init__(self, cmd, client, stack):
        self.out = cmd.app.stderr
        self.client = client
        self.stack = stack
        self.resources = True
        self.last = None

    def say(self, line):
        if line != self.last:
            self.out.write(line + '\n')
            self.out.flush()
            self.last = line

    def _progress(self, snapshot):
        """``2/5 resources done (volume IN_PROGRESS)``.

        None when the server has no per-resource view.
        """
        if not self.resources:
            return None
        try:
            rows = self.client.list_snapshot_resources(self.stack, snapshot)
        except hs_client.HTTPError as error:
            if error.status in (404, 405):
                self.resources = False
                return None
            raise
        done = [r for r in rows if r.get('status') != 'IN_PROGRESS']
        busy = ', '.join('%s %s' % (r.get('name'), r.get('status'))
                         for r in rows if r not in done)
        return '%d/%d resources done%s' % (len(done), len(rows),
                                           ' (%s)' % busy if busy else '')

    def snapshot(self, snapshot):
        """Until the snapshot is no longer IN_PROGRESS; the snapshot."""
        label = snapshot.get('name') or snapshot['id']
        while True:
            snapshot = self.client.get_snapshot(self.stack, snapshot['id'])
            progress = self._progress(snapshot)
            self.say('snapshot %s: %s%s' % (
                label, snapshot.get('status'),
                ', %s' % progress if progress else ''))
            if snapshot.get('status') != 'IN_PROGRESS':
                return snapshot
            time.sleep(POLL_INTERVAL)

    def deleted(self, snapshot):
        label = snapshot.get('name') or snapshot['id']
        while True:
            try:
                shown = self.client.get_snapshot(self.stack, snapshot['id'])
            except hs_client.HTTPError as error:
                if error.status == 404:
                    self.say('snapshot %s: deleted' % label)
                    return
                raise
            if shown.get('status') == 'FAILED':
                raise exceptions.CommandError(
                    'snapshot %s: delete failed: %s'
                    % (label, shown.get('status_reason')))
            self.say('snapshot %s: deleting (%s)' % (
                label, shown.get('status')))
            time.sleep(POLL_INTERVAL)

    def restored(self):
        """Until the stack's RESTORE ends; the stack.

        A restore's update that Heat rolls back (a cancel, a failure with
        rollback on) ends in ``ROLLBACK_*``, which Heat's endpoint with
        the filter shows as Heat does: that ends the wait too. Before the
        restore shows, the stack's previous state (``SNAPSHOT_COMPLETE``)
        is waited through.
        """
        while True:
            stack = self.client.get_stack(self.stack)
            status = stack.get('stack_status', '')
            self.say('stack %s: %s' % (self.stack.name, status))
            if (status.startswith(RESTORE_ENDS) and
                    not status.endswith('IN_PROGRESS')):
                return stack
            time.sleep(POLL_INTERVAL)


def _show_snapshot(snapshot, data=False):
    shown = dict(snapshot)
    if not data:
        shown.pop('data', None)
    return policies.show(shown, SNAPSHOT_COLUMNS)


class CreateSnapshot(command.ShowOne):
    """Take a snapshot of a stack."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('stack', metavar='<stack>',
                            help='Stack (name or id)')
        parser.add_argument('--name', metavar='<name>',
                            help='Name of the snapshot')
        parser.add_argument(
            '--wait', action='store_true',
            help='Wait until the snapshot is COMPLETE or FAILED, showing '
                 'its progress')
        return parser

    def take_action(self, parsed_args):
        client = _client(self)
        stack = client.find_stack(parsed_args.stack)
        snapshot = client.create_snapshot(stack, parsed_args.name)
        if parsed_args.wait:
            snapshot = _Waiter(self, client, stack).snapshot(snapshot)
            if snapshot.get('status') != 'COMPLETE':
                raise exceptions.CommandError(
                    'snapshot %s %s: %s' % (
                        snapshot.get('name') or snapshot['id'],
                        snapshot.get('status'),
                        snapshot.get('status_reason')))
        return _show_snapshot(snapshot)


class ListSnapshots(command.Lister):
    """List a stack's snapshots."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('stack', metavar='<stack>',
                            help='Stack (name or id)')
        parser.add_argument('--limit', metavar='<N>', type=policies.count,
                            help='At most N snapshots')
        parser.add_argument('--marker', metavar='<id>',
                            help='Start after this snapshot (the last id '
                                 'of the previous page)')
        parser.add_argument('--sort', metavar='<key>[:<direction>]',
                            help='Sort by a key (creation_time, name, '
                                 'status), asc or desc')
        parser.add_argument('--status', metavar='<status>',
                            help='Only the snapshots in this status '
                                 '(IN_PROGRESS, COMPLETE, FAILED)')
        return parser

    def take_action(self, parsed_args):
        snapshots = _client(self).list_snapshots(
            parsed_args.stack, limit=parsed_args.limit,
            marker=parsed_args.marker, sort=parsed_args.sort,
            status=parsed_args.status)
        columns = ('id', 'name', 'status', 'status_reason', 'creation_time')
        return columns, [tuple(s.get(c) for c in columns)
                         for s in snapshots]


class ShowSnapshot(command.ShowOne):
    """Show a stack's snapshot."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_stack_snapshot(parser)
        parser.add_argument('--data', action='store_true',
                            help='Also show the snapshot\'s data (the '
                                 'stack as it was)')
        return parser

    def take_action(self, parsed_args):
        snapshot = _client(self).find_snapshot(parsed_args.stack,
                                               parsed_args.snapshot)
        return _show_snapshot(snapshot, parsed_args.data)


def _preview_name(entry):
    """A preview entry's resource: a nested stack's by its parent's
    name, ``group/2`` (Heat's ``parent_resource``), so that it is not
    taken for a top-level resource of the same name.
    """
    if not isinstance(entry, dict):
        return entry
    name = entry.get('resource_name', entry.get('name'))
    parent = entry.get('parent_resource')
    return '%s/%s' % (parent, name) if parent else name


def _preview_rows(preview):
    changes = preview.get('resource_changes') or {}
    data_loss = preview.get('data_loss')
    losing = set()
    if isinstance(data_loss, list):
        for item in data_loss:
            losing.add(_preview_name(item))
    rows = []
    for change in CHANGES:
        for resource in changes.get(change) or []:
            name = _preview_name(resource)
            rows.append((change, name, resource.get('resource_type'),
                         name in losing if isinstance(data_loss, list)
                         else bool(data_loss) and change != 'unchanged'))
    return ('change', 'resource_name', 'resource_type', 'data_loss'), rows


class RestoreSnapshot(command.Lister):
    """Restore a stack to a snapshot, or preview what that would change."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_stack_snapshot(parser)
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            '--preview', action='store_true',
            help='Change nothing: list what the restore would add, delete, '
                 'replace, update or leave unchanged, and which changes '
                 'lose data')
        mode.add_argument(
            '--wait', action='store_true',
            help='Wait until the stack\'s restore ends')
        return parser

    def take_action(self, parsed_args):
        client = _client(self)
        stack = client.find_stack(parsed_args.stack)
        snapshot = client.find_snapshot(stack, parsed_args.snapshot)
        if parsed_args.preview:
            return _preview_rows(client.restore_preview(stack, snapshot))
        client.restore_snapshot(stack, snapshot)
        status, reason = 'RESTORE_IN_PROGRESS', None
        if parsed_args.wait:
            shown = _Waiter(self, client, stack).restored()
            status = shown.get('stack_status')
            reason = shown.get('stack_status_reason')
            if status != 'RESTORE_COMPLETE':
                raise exceptions.CommandError(
                    'stack %s %s: %s' % (stack.name, status, reason))
        return (('stack', 'snapshot', 'stack_status', 'stack_status_reason'),
                [(stack.name, snapshot['id'], status, reason)])


class DeleteSnapshot(command.Command):
    """Delete snapshots of a stack (and their backups)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_stack_snapshot(parser, many=True)
        parser.add_argument('--wait', action='store_true',
                            help='Wait until the snapshots are gone')
        return parser

    def take_action(self, parsed_args):
        client = _client(self)
        stack = client.find_stack(parsed_args.stack)
        failed = []
        for name in parsed_args.snapshots:
            try:
                snapshot = client.find_snapshot(stack, name)
                client.delete_snapshot(stack, snapshot)
                if parsed_args.wait:
                    _Waiter(self, client, stack).deleted(snapshot)
            except Exception as error:
                failed.append('%s: %s' % (name, error))
        if failed:
            raise exceptions.CommandError(
                'Unable to delete %d of %d snapshots:\n%s' % (
                    len(failed), len(parsed_args.snapshots),
                    '\n'.join(failed)))


class CloneSnapshot(command.ShowOne):
    """Create a new stack from a snapshot of another.

    ``clone <stack> <snapshot>`` names a stack's snapshot; ``clone
    <snapshot>`` (or ``clone --kept <snapshot>``) a snapshot of the
    project without its stack: the way to clone one a policy kept after
    its stack was deleted.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            'stack', metavar='<stack>', nargs='?',
            help='Stack (name or id) of the snapshot; leave it out for a '
                 'snapshot of the project named alone (see --kept)')
        parser.add_argument('snapshot', metavar='<snapshot>',
                            help='Snapshot (name or id)')
        parser.add_argument(
            '--kept', action='store_true',
            help='The snapshot is named without its stack, as the '
                 'project\'s snapshots list shows it: one kept after its '
                 'stack was deleted, or any of the project\'s')
        parser.add_argument('--name', metavar='<stack-name>', required=True,
                            help='Name of the new stack')
        parser.add_argument(
            '--parameter', metavar='<key=value>', action='append',
            default=[], help='A parameter of the new stack; repeat for more')
        return parser

    def take_action(self, parsed_args):
        parameters = {}
        for item in parsed_args.parameter:
            key, sep, value = item.partition('=')
            if not sep or not key:
                raise exceptions.CommandError(
                    'a parameter is key=value, not %r' % item)
            parameters[key] = value
        if parsed_args.kept and parsed_args.stack is not None:
            raise exceptions.CommandError(
                '--kept names the snapshot alone, not its stack %r'
                % parsed_args.stack)
        stack = _client(self).clone_snapshot(
            parsed_args.stack, parsed_args.snapshot, parsed_args.name,
            parameters)
        links = [link.get('href') for link in stack.get('links') or []]
        return policies.show(
            {'id': stack.get('id'), 'stack_name': parsed_args.name,
             'links': links}, ('id', 'stack_name', 'links'))


class CancelSnapshot(command.Command):
    """Cancel a snapshot in progress (it ends FAILED, its backups go)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_stack_snapshot(parser)
        return parser

    def take_action(self, parsed_args):
        _client(self).cancel_snapshot(parsed_args.stack, parsed_args.snapshot)


class ListSnapshotResources(command.Lister):
    """List each resource's part of a snapshot."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_stack_snapshot(parser)
        return parser

    def take_action(self, parsed_args):
        resources = _client(self).list_snapshot_resources(
            parsed_args.stack, parsed_args.snapshot)
        return RESOURCE_COLUMNS, [tuple(r.get(c) for c in RESOURCE_COLUMNS)
                                  for r in resources]
