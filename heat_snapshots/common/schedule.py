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

"""When a snapshot policy runs: 5-field cron in the policy's time zone.

Pure arithmetic, no I/O: the API validates a policy's schedule with
:func:`validate` and shows :func:`next_runs`; the engine's scheduler asks
:func:`due_run` whether a policy is due.

The expression is the usual five fields ``minute hour day-of-month month
day-of-week`` (vixie cron: lists, ranges, ``*/n`` steps, month and day
names, Sunday as 0 or 7, and a day matching when either day field matches
when both are restricted), plus ``L`` (the last day of the month) in the
day-of-month field and ``L<d>`` / ``<d>#<n>`` (the last / n-th weekday of
the month) in the day-of-week field. Not accepted: ``@daily`` and the other
nicknames, a seconds or year field, and croniter's random (``R``) and
hashed (``H``) values.

The fields are matched against the wall clock of the time zone (an IANA
name, ``zoneinfo``). Across a daylight saving time change:

* a local time that does not exist (the hour skipped when clocks go
  forward) runs once, at the first instant after the gap: ``30 2 * * *`` in
  Europe/Paris on the last Sunday of March runs at 03:00 CEST. Several
  skipped times (``*/15 2 * * *``), and a time at the gap's end, run once;
* a local time that happens twice (the hour repeated when clocks go back)
  runs once, at its first occurrence (the daylight saving time one); the
  repeated hour runs nothing.

Times in and out are timezone-aware ``datetime`` objects; the results are
in UTC.
"""

import datetime
import functools
import re
import zoneinfo

import croniter

from heat_snapshots.common import exception

UTC = datetime.timezone.utc

#: The longest cron expression accepted.
MAX_LENGTH = 255

FIELDS = 'minute hour day-of-month month day-of-week'

# croniter's random (R) and hashed (H) values, as a token of their own (not
# a letter of a name such as "thu" or "mar").
_NON_STANDARD = re.compile(r'(?<![a-z])[hr](?![a-z])', re.IGNORECASE)

# Zone names that the zoneinfo database holds but that name no place: the
# server's own zone.
_NOT_ZONES = frozenset(['localtime'])

_ONE_SECOND = datetime.timedelta(seconds=1)
_ONE_MINUTE = datetime.timedelta(minutes=1)


@functools.lru_cache(maxsize=1)
def _zone_names():
    return frozenset(zoneinfo.available_timezones()) - _NOT_ZONES


def zone(timezone):
    """The ``ZoneInfo`` of an IANA time zone name.

    :raises InvalidSchedule: when the name is not a known time zone.
    """
    if not isinstance(timezone, str) or timezone not in _zone_names():
        raise exception.InvalidSchedule(
            reason='unknown time zone %r' % (timezone,))
    return zoneinfo.ZoneInfo(timezone)


def _check_cron(cron):
    if not isinstance(cron, str):
        raise exception.InvalidSchedule(
            reason='the cron expression must be a string')
    if len(cron) > MAX_LENGTH:
        raise exception.InvalidSchedule(
            reason='the cron expression is longer than %d characters'
            % MAX_LENGTH)
    fields = cron.split()
    if len(fields) != 5:
        raise exception.InvalidSchedule(
            reason='cron expression %r has %d fields, expected 5 (%s)'
            % (cron, len(fields), FIELDS))
    if _NON_STANDARD.search(cron):
        raise exception.InvalidSchedule(
            reason='cron expression %r: random (R) and hashed (H) values '
            'are not supported' % cron)
    try:
        croniter.croniter(cron)
    except (croniter.CroniterError, ValueError) as error:
        raise exception.InvalidSchedule(
            reason='cron expression %r: %s' % (cron, error))


def _aware(name, value):
    if not isinstance(value, datetime.datetime) or value.tzinfo is None:
        raise ValueError('%s must be a timezone-aware datetime, not %r'
                         % (name, value))


def _wall_clock(instant, tz):
    return instant.astimezone(tz).replace(tzinfo=None, fold=0)


def _instant(local, tz):
    """The UTC instant a local (naive) scheduled time runs at.

    An ambiguous time runs at its first occurrence; a time in a gap at the
    gap's end (the transition instant).
    """
    first = local.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if _wall_clock(first, tz) == local:
        return first
    # In a gap, fold=0 reads the time with the offset before the
    # transition, landing after it; fold=1 with the offset after it,
    # landing before it. The transition is the first second with the new
    # offset between the two.
    before = local.replace(tzinfo=tz, fold=1).astimezone(UTC)
    after = first
    old_offset = before.astimezone(tz).utcoffset()
    while after - before > _ONE_SECOND:
        middle = before + (after - before) / 2
        middle = middle.replace(microsecond=0)
        if middle.astimezone(tz).utcoffset() == old_offset:
            before = middle
        else:
            after = middle
    return after


def _local_times(cron, start, forward):
    """Scheduled local (naive) times after / before ``start``, in order."""
    iterator = croniter.croniter(cron, start)
    step = iterator.get_next if forward else iterator.get_prev
    while True:
        yield step(datetime.datetime)


def _instants(cron, tz, start, forward):
    """Distinct UTC run instants, from the local times around ``start``."""
    last = None
    for local in _local_times(cron, start, forward):
        instant = _instant(local, tz)
        if instant != last:
            last = instant
            yield instant


def validate(cron, timezone):
    """Check a schedule.

    :param cron: a 5-field cron expression (see the module's docstring).
    :param timezone: an IANA time zone name, e.g. ``Europe/Paris``.
    :raises InvalidSchedule: when the expression or the zone is refused,
        or the expression never matches a date (``0 0 30 2 *``).
    """
    next_runs(cron, timezone, datetime.datetime.now(UTC), count=1)


def next_runs(cron, timezone, after, count=3):
    """The next ``count`` run times strictly after ``after``.

    :param after: a timezone-aware datetime.
    :returns: a list of ``count`` timezone-aware UTC datetimes, ascending.
    :raises InvalidSchedule: when the schedule is refused.
    """
    tz = zone(timezone)
    _check_cron(cron)
    _aware('after', after)
    runs = []
    if count <= 0:
        return runs
    # A local time at or before after's own wall-clock time runs at or
    # before after (the mapping is monotonic), so the search starts there.
    try:
        for instant in _instants(cron, tz, _wall_clock(after, tz), True):
            if instant > after:
                runs.append(instant)
                if len(runs) == count:
                    break
    except croniter.CroniterBadDateError:
        raise exception.InvalidSchedule(
            reason='cron expression %r never matches a date' % cron)
    return runs


def due_run(cron, timezone, last_run, now):
    """The run due at ``now``, if any.

    :param last_run: when the policy last ran (the scheduled time of its
        last run), or, for a policy that never ran, when it was created;
        a timezone-aware datetime.
    :param now: a timezone-aware datetime.
    :returns: ``(scheduled_time, late)``: the most recent scheduled time in
        ``(last_run, now]`` (a UTC datetime) and whether that window held
        more than one scheduled time, i.e. runs were missed (engines down)
        and are made up by this single run; ``(None, False)`` when no
        scheduled time falls in the window.
    :raises InvalidSchedule: when the schedule is refused.
    """
    tz = zone(timezone)
    _check_cron(cron)
    _aware('last_run', last_run)
    _aware('now', now)
    local_now = now.astimezone(tz)
    start = _wall_clock(now, tz) + _ONE_MINUTE
    if local_now.fold:
        # now is in the repeated hour: later local times ran in its first
        # pass, before now.
        start += (local_now.replace(fold=0).utcoffset() -
                  local_now.utcoffset())
    latest = None
    for instant in _instants(cron, tz, start, False):
        if instant > now:
            continue
        if latest is None:
            if instant <= last_run:
                return None, False
            latest = instant
            continue
        return latest, instant > last_run
    return None, False  # pragma: no cover - croniter's iteration is endless
