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

"""Which of a policy's snapshots its retention rules prune.

Pure arithmetic, no I/O: :func:`select_prunable` is given the snapshots one
policy took of one stack and answers which to delete; the engine deletes
them, and the API's prune preview shows the same answer.

The rules are the usual rotation (restic's and borg's ``forget``), any
combination of:

``keep_last: N``
    keep the N newest snapshots.
``keep_hourly``, ``keep_daily``, ``keep_weekly``, ``keep_monthly: N``
    for each of the N most recent hours / days / ISO weeks (Monday to
    Sunday) / calendar months that have a snapshot, keep the newest
    snapshot of that period. Periods are read on the wall clock of the
    policy's time zone; an hour repeated when clocks go back is two hours.
``max_age: S``
    keep every snapshot taken in the last S seconds (``created_at >= now -
    S``). A snapshot older than that is pruned unless another rule keeps
    it; with ``max_age`` alone, every snapshot older than S is pruned.

A snapshot is kept when any rule keeps it, and pruned otherwise. A rule
set to 0 keeps nothing by itself. Besides the rules:

* only COMPLETE snapshots are counted and kept by the rules;
* the newest COMPLETE snapshot is never pruned, whatever the rules;
* a FAILED snapshot is pruned, except the newest FAILED one while no
  COMPLETE snapshot is newer (the latest failure stays to be looked at
  until a snapshot succeeds after it; it is at most one);
* a snapshot in any other status (IN_PROGRESS: being taken, restored or
  deleted) is never pruned;
* with no rules at all (``{}``), nothing is pruned.

Snapshots taken at the same time are ordered by id, so the answer does not
depend on the order they are given in. Pruning the snapshots kept prunes
nothing more (the rules are idempotent).
"""

import collections
import datetime
import operator

from heat_snapshots.common import exception
from heat_snapshots.common import schedule
from heat_snapshots.common import states

#: A snapshot as retention sees it: ``created_at`` is timezone-aware.
Snapshot = collections.namedtuple('Snapshot', ['id', 'created_at', 'status'])


def _hour(local):
    # The offset tells the two passes of a repeated hour apart.
    return local.date(), local.hour, local.utcoffset()


def _day(local):
    return local.date()


def _iso_week(local):
    return tuple(local.isocalendar())[:2]


def _month(local):
    return local.year, local.month


#: The periodic rules and the period each snapshot falls in.
PERIODS = (
    ('keep_hourly', _hour),
    ('keep_daily', _day),
    ('keep_weekly', _iso_week),
    ('keep_monthly', _month),
)

#: Every rule, each an int >= 0 (max_age in seconds).
RULES = ('keep_last',) + tuple(name for name, _ in PERIODS) + ('max_age',)


def validate_rules(rules):
    """Check a policy's retention rules.

    :raises InvalidRetention: when ``rules`` is not a dict, names a rule
        that does not exist, or gives a value that is not an int >= 0.
    """
    if not isinstance(rules, dict):
        raise exception.InvalidRetention(
            reason='the retention must be an object of rules')
    unknown = sorted(set(rules) - set(RULES), key=str)
    if unknown:
        raise exception.InvalidRetention(
            reason='unknown rule(s) %s; the rules are %s'
            % (', '.join(map(str, unknown)), ', '.join(RULES)))
    for name in RULES:
        value = rules.get(name, 0)
        if (not isinstance(value, int) or isinstance(value, bool) or
                value < 0):
            raise exception.InvalidRetention(
                reason='%s must be an integer >= 0, not %r' % (name, value))


def _newest_first(snapshots):
    return sorted(snapshots, key=operator.attrgetter('created_at', 'id'),
                  reverse=True)


def _kept_by_rules(complete, rules, now, tz):
    """The ids the rules keep among COMPLETE snapshots, newest first."""
    kept = {snapshot.id for snapshot in complete[:rules.get('keep_last', 0)]}
    for name, period in PERIODS:
        wanted = rules.get(name, 0)
        periods = set()
        for snapshot in complete:
            if len(periods) >= wanted:
                break
            key = period(snapshot.created_at.astimezone(tz))
            if key not in periods:
                periods.add(key)
                kept.add(snapshot.id)
    if 'max_age' in rules:
        try:
            oldest = now - datetime.timedelta(seconds=rules['max_age'])
        except OverflowError:
            # An age beyond the calendar's first day: none is too old.
            oldest = None
        kept.update(snapshot.id for snapshot in complete
                    if oldest is None or snapshot.created_at >= oldest)
    return kept


def select_prunable(snapshots, rules, now, timezone='UTC'):
    """The ids of the snapshots to prune, oldest first.

    :param snapshots: the :class:`Snapshot` s one policy took of one
        stack.
    :param rules: the policy's retention rules (see the module's
        docstring), already validated.
    :param now: a timezone-aware datetime (for ``max_age``).
    :param timezone: the policy's IANA time zone (for the periods).
    """
    if not rules:
        return []
    tz = schedule.zone(timezone)
    ordered = _newest_first(snapshots)
    complete = [s for s in ordered if s.status == states.COMPLETE]
    kept = _kept_by_rules(complete, rules, now, tz)
    if complete:
        kept.add(complete[0].id)
    for snapshot in ordered:
        if snapshot.status == states.COMPLETE:
            break
        if snapshot.status == states.FAILED:
            kept.add(snapshot.id)
            break
    return [snapshot.id for snapshot in reversed(ordered)
            if snapshot.status in states.TERMINAL and snapshot.id not in kept]
