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

"""Medians, percentiles and the table the entry command prints."""

import statistics

from benchmarks import goals


def percentile(values, pct):
    """The ``pct`` percentile (nearest rank) of ``values``."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(int(round(pct / 100.0 * len(ordered) + 0.5)) - 1, 0)
    return ordered[min(rank, len(ordered) - 1)]


class Result:
    """One row: a figure measured in several runs, and its target.

    :param target: (comparison, value): ('<', 1.0) means the median must
        be below 1.0; None: reported only (goals.judge gives the rows
        their targets).
    """

    def __init__(self, deployment, benchmark, case, metric, unit, values,
                 target=None, note=''):
        self.deployment = deployment
        self.benchmark = benchmark
        self.case = case
        self.metric = metric
        self.unit = unit
        self.values = [v for v in values if v is not None]
        self.target = target
        self.note = note

    @property
    def median(self):
        return statistics.median(self.values) if self.values else None

    def verdict(self):
        if self.target is None or self.median is None:
            return ''
        return 'ok' if goals.met(self.target, self.median) else 'MISSED'

    def target_text(self):
        if self.target is None:
            return ''
        return '%s %s' % (self.target[0], _fmt(self.target[1]))

    def row(self):
        values = self.values
        return [self.deployment, self.benchmark, self.case,
                '%s (%s)' % (self.metric, self.unit) if self.unit
                else self.metric,
                _fmt(self.median), _fmt(min(values) if values else None),
                _fmt(max(values) if values else None), str(len(values)),
                self.target_text(), self.verdict(), self.note]


HEADER = ['deployment', 'benchmark', 'case', 'metric', 'median', 'min',
          'max', 'runs', 'target', '', 'note']


def _fmt(value):
    if value is None:
        return '-'
    if isinstance(value, str):
        return value
    if abs(value) >= 100:
        return '%.0f' % value
    if abs(value) >= 10:
        return '%.1f' % value
    return '%.3f' % value


def table(results):
    rows = [HEADER] + [r.row() for r in results]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    lines = []
    for number, row in enumerate(rows):
        lines.append('  '.join(cell.ljust(width) if i < 4 or i >= 8
                               else cell.rjust(width)
                               for i, (cell, width) in
                               enumerate(zip(row, widths))).rstrip())
        if number == 0:
            lines.append('  '.join('-' * w for w in widths))
    return '\n'.join(lines)


RATIO_HEADER = ['deployment', 'benchmark', 'case', 'metric', 'ours', '{}',
                'ours/{}', 'target', '']


def ratios(results, reference, failed=None, not_comparable=None,
           left_out=None):
    """ratio_rows' rows as a table."""
    return ratio_table(ratio_rows(results, reference, failed,
                                  not_comparable, left_out), reference)


def ratio_table(rows, reference):
    """Rows of ratio_rows under their header."""
    rows = [[cell.format(reference) for cell in RATIO_HEADER]] + rows
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for number, row in enumerate(rows):
        lines.append('  '.join(cell.ljust(width) for cell, width in
                               zip(row, widths)).rstrip())
        if number == 0:
            lines.append('  '.join('-' * w for w in widths))
    return '\n'.join(lines)


def ratio_rows(results, reference, failed=None, not_comparable=None,
               left_out=None, judged=True):
    """Every figure of the other deployments divided by the same figure
    (benchmark, case, metric) of ``reference``, a row (RATIO_HEADER's
    cells) each, judged (unless not ``judged``) where
    goals.RATIO_TARGETS sets a target.

    :param failed: {suite: why} of the suites that failed on
        ``reference``: their rows say so instead of a ratio.
    :param not_comparable: {suite: (why, what the ratio column says)}
        of the suites not run on ``reference``.
    :param left_out: {(suite, case): why} of the cases not asked of
        ``reference`` (a suite that failed there did not fail them).
    """
    failed = failed or {}
    not_comparable = not_comparable or {}
    left_out = left_out or {}
    theirs = {(r.benchmark, r.case, r.metric): r for r in results
              if r.deployment == reference}
    cases = {(benchmark, case) for benchmark, case, _ in theirs}
    rows = []
    for result in results:
        if result.deployment == reference:
            continue
        other = theirs.get((result.benchmark, result.case, result.metric))
        if other is None and ' eng: ' in result.metric:
            # Fleet rows of N engines against Heat's (one heat-engine).
            other = theirs.get((result.benchmark, result.case, '1 eng: ' +
                                result.metric.split(' eng: ', 1)[1]))
        target, verdict = None, ''
        if other is not None and other.median:
            ratio = '%.2f' % (result.median / other.median)
            their = _fmt(other.median)
            if judged and result.deployment in goals.JUDGED:
                target = goals.find(goals.RATIO_TARGETS, result.benchmark,
                                    result.case, result.metric)
            if target is not None:
                verdict = ('ok' if goals.met(
                    target, result.median / other.median) else 'MISSED')
        elif (result.benchmark, result.case) in left_out:
            their = left_out[(result.benchmark, result.case)][:70]
            ratio = 'not run on Heat'
        elif (result.benchmark in failed and
              (result.benchmark, result.case) not in cases):
            ratio, their = 'Heat failed', failed[result.benchmark][:70]
        elif result.benchmark in not_comparable:
            their, ratio = not_comparable[result.benchmark]
            their = their[:70]
        else:
            # A figure the reference has not (process CPU and memory of
            # an endpoint that is only a URL).
            continue
        rows.append([result.deployment, result.benchmark, result.case,
                     '%s (%s)' % (result.metric, result.unit)
                     if result.unit else result.metric,
                     _fmt(result.median), their, ratio,
                     '%s %s' % (target[0], _fmt(target[1])) if target
                     else '', verdict])
    return rows
