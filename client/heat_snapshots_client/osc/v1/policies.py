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

"""``openstack stack snapshot policy ...``: snapshot policies."""

import re

from osc_lib.cli import format_columns
from osc_lib.command import command
from osc_lib import exceptions

RULES = (('keep_last', 'the N newest snapshots'),
         ('keep_hourly', 'the newest snapshot of each of the N latest '
          'hours with one'),
         ('keep_daily', 'the newest snapshot of each of the N latest days '
          'with one'),
         ('keep_weekly', 'the newest snapshot of each of the N latest ISO '
          'weeks with one'),
         ('keep_monthly', 'the newest snapshot of each of the N latest '
          'months with one'))

_DURATION = re.compile(r'^(\d+)([smhdw]?)$')
_UNITS = {'': 1, 's': 1, 'm': 60, 'h': 3600, 'd': 86400, 'w': 604800}

#: The columns shown first, in this order; any other field follows.
POLICY_COLUMNS = ('id', 'name', 'enabled', 'stacks', 'schedule',
                  'retention', 'keep_after_stack_delete', 'next_runs',
                  'created_at')
RUN_COLUMNS = ('id', 'status', 'scheduled_at', 'started_at', 'finished_at',
               'snapshots', 'pruned', 'reason')


def duration(text):
    """Seconds, from ``3600``, ``90m``, ``12h``, ``7d`` or ``4w``."""
    match = _DURATION.match(text.strip().lower())
    if not match:
        raise ValueError('not a duration: %r (e.g. 3600, 90m, 12h, 7d, 4w)'
                         % text)
    return int(match.group(1)) * _UNITS[match.group(2)]


def count(text):
    value = int(text)
    if value < 0:
        raise ValueError('a count is >= 0')
    return value


def _formatted(value):
    if isinstance(value, dict):
        return format_columns.DictColumn(value)
    if isinstance(value, list):
        if value and all(isinstance(item, dict) for item in value):
            return format_columns.ListDictColumn(value)
        return format_columns.ListColumn(value)
    return value


def columns_of(items, first):
    """``first`` (those present), then the other fields, sorted."""
    present = set().union(*(item.keys() for item in items)) if items else set()
    return (tuple(c for c in first if c in present) +
            tuple(sorted(present - set(first))))


def show(item, first):
    columns = columns_of([item], first)
    return columns, tuple(_formatted(item.get(c)) for c in columns)


def table(items, first):
    columns = columns_of(items, first)
    return columns, [tuple(_formatted(item.get(c)) for c in columns)
                     for item in items]


def _add_target_options(parser, required):
    group = parser.add_mutually_exclusive_group(required=required)
    group.add_argument(
        '--stack', metavar='<stack>', action='append', dest='stacks',
        help='A stack (name or id) the policy snapshots; repeat for more')
    group.add_argument(
        '--tag', metavar='<tag>', action='append', dest='tags',
        help='Snapshot the stacks with this tag; repeat for more')


def _add_retention_options(parser):
    for rule, meaning in RULES:
        parser.add_argument(
            '--' + rule.replace('_', '-'), metavar='<N>', type=count,
            dest=rule, help='Retention: keep %s' % meaning)
    parser.add_argument(
        '--max-age', metavar='<duration>', type=duration, dest='max_age',
        help='Retention: keep every snapshot younger than this (seconds, '
             'or 90m, 12h, 7d, 4w); older ones are pruned unless another '
             'rule keeps them')


def _retention(parsed_args):
    return {rule: getattr(parsed_args, rule)
            for rule in [r for r, _ in RULES] + ['max_age']
            if getattr(parsed_args, rule) is not None}


def _stack_ids(client, stacks):
    return [client.find_stack(stack).id for stack in stacks]


class CreatePolicy(command.ShowOne):
    """Create a snapshot policy: a schedule and retention rules."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('name', metavar='<name>',
                            help='Name of the policy')
        parser.add_argument(
            '--cron', metavar='<expression>', required=True,
            help='When to snapshot: a 5-field cron expression, e.g. '
                 '"0 2 * * *"')
        parser.add_argument(
            '--timezone', metavar='<zone>', default='UTC',
            help='The time zone of the schedule and of the retention\'s '
                 'periods (IANA name, e.g. Europe/Paris; default UTC)')
        _add_target_options(parser, required=True)
        _add_retention_options(parser)
        parser.add_argument(
            '--keep-after-stack-delete', action='store_true',
            help='Keep the policy\'s snapshots when their stack is deleted')
        parser.add_argument(
            '--disable', action='store_true',
            help='Create the policy disabled')
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.orchestration_snapshots
        policy = client.create_policy(
            parsed_args.name, parsed_args.cron, parsed_args.timezone,
            stack_ids=(_stack_ids(client, parsed_args.stacks)
                       if parsed_args.stacks else None),
            tags=parsed_args.tags, retention=_retention(parsed_args),
            keep_after_stack_delete=parsed_args.keep_after_stack_delete,
            enabled=not parsed_args.disable)
        return show(policy, POLICY_COLUMNS)


class ListPolicies(command.Lister):
    """List the project's snapshot policies."""

    def take_action(self, parsed_args):
        client = self.app.client_manager.orchestration_snapshots
        policies = client.list_policies()
        columns = ('id', 'name', 'enabled', 'schedule', 'next_run')
        rows = []
        for policy in policies:
            schedule = policy.get('schedule') or {}
            runs = policy.get('next_runs') or [None]
            rows.append((policy.get('id'), policy.get('name'),
                         policy.get('enabled'),
                         '%s (%s)' % (schedule.get('cron'),
                                      schedule.get('timezone')),
                         runs[0]))
        return columns, rows


def _add_policy_argument(parser):
    parser.add_argument('policy', metavar='<policy>',
                        help='Policy (name or id)')


class ShowPolicy(command.ShowOne):
    """Show a snapshot policy."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_policy_argument(parser)
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.orchestration_snapshots
        return show(client.find_policy(parsed_args.policy), POLICY_COLUMNS)


class SetPolicy(command.ShowOne):
    """Change a snapshot policy: only what is given changes."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_policy_argument(parser)
        parser.add_argument('--name', metavar='<name>', help='New name')
        parser.add_argument('--cron', metavar='<expression>',
                            help='New 5-field cron expression')
        parser.add_argument('--timezone', metavar='<zone>',
                            help='New time zone (IANA name)')
        _add_target_options(parser, required=False)
        parser.add_argument(
            '--clear-retention', action='store_true',
            help='Remove every retention rule (then add those given)')
        _add_retention_options(parser)
        keep = parser.add_mutually_exclusive_group()
        keep.add_argument(
            '--keep-after-stack-delete', action='store_true', default=None,
            dest='keep_after_stack_delete',
            help='Keep the snapshots when their stack is deleted')
        keep.add_argument(
            '--no-keep-after-stack-delete', action='store_false',
            dest='keep_after_stack_delete',
            help='Delete the snapshots with their stack')
        enabled = parser.add_mutually_exclusive_group()
        enabled.add_argument('--enable', action='store_true', default=None,
                             dest='enabled', help='Enable the policy')
        enabled.add_argument('--disable', action='store_false',
                             dest='enabled', help='Disable the policy')
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.orchestration_snapshots
        policy = client.find_policy(parsed_args.policy)
        fields = {}
        if parsed_args.name is not None:
            fields['name'] = parsed_args.name
        if parsed_args.cron is not None or parsed_args.timezone is not None:
            schedule = dict(policy.get('schedule') or {})
            if parsed_args.cron is not None:
                schedule['cron'] = parsed_args.cron
            if parsed_args.timezone is not None:
                schedule['timezone'] = parsed_args.timezone
            fields['schedule'] = schedule
        if parsed_args.stacks:
            fields['stacks'] = {'ids': _stack_ids(client, parsed_args.stacks)}
        elif parsed_args.tags:
            fields['stacks'] = {'tags': parsed_args.tags}
        rules = _retention(parsed_args)
        if parsed_args.clear_retention or rules:
            retention = ({} if parsed_args.clear_retention
                         else dict(policy.get('retention') or {}))
            retention.update(rules)
            fields['retention'] = retention
        for name in ('keep_after_stack_delete', 'enabled'):
            if getattr(parsed_args, name) is not None:
                fields[name] = getattr(parsed_args, name)
        if not fields:
            raise exceptions.CommandError('nothing to change')
        return show(client.update_policy(policy, **fields), POLICY_COLUMNS)


class DeletePolicy(command.Command):
    """Delete snapshot policies (their snapshots stay)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('policies', metavar='<policy>', nargs='+',
                            help='Policy (name or id); several may be given')
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.orchestration_snapshots
        failed = []
        for policy in parsed_args.policies:
            try:
                client.delete_policy(policy)
            except Exception as error:
                failed.append('%s: %s' % (policy, error))
        if failed:
            raise exceptions.CommandError(
                'Unable to delete %d of %d policies:\n%s' % (
                    len(failed), len(parsed_args.policies),
                    '\n'.join(failed)))


class RunPolicy(command.ShowOne):
    """Run a snapshot policy now (snapshot, then prune)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_policy_argument(parser)
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.orchestration_snapshots
        return show(client.run_policy(parsed_args.policy), RUN_COLUMNS)


class ListRuns(command.Lister):
    """List a snapshot policy's runs, newest first."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_policy_argument(parser)
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.orchestration_snapshots
        return table(client.list_policy_runs(parsed_args.policy),
                     RUN_COLUMNS)
