import os

from oslo_config import cfg

GROUP = 'heat_snapshots'

_DEFAULT_STATE_PATH = os.path.join(
    os.path.expanduser('~'), '.local', 'share', 'heat-snapshots')

opts = [
    cfg.StrOpt('state_path',
               default=_DEFAULT_STATE_PATH,
               sample_default='~/.local/share/heat-snapshots',
               help='Directory where heat-snapshots keeps its state when '
                    'it runs on the embedded defaults: the SQLite database '
                    'and the local artifact store. Created when missing.'),
]


def state_path_def(*parts):
    """A default that follows ``state_path`` when the file sets it."""
    return os.path.join('${heat_snapshots.state_path}', *parts)


def register_opts(conf):
    conf.register_opts(opts, group=GROUP)


def list_opts():
    return {GROUP: opts}
