from oslo_config import cfg

GROUP = 'upgrade_levels'

opts = [
    cfg.StrOpt('engine',
               help='Highest engine RPC API version the API may use, for '
                    'rolling upgrades: set it to the version of the oldest '
                    'engine still running. Unset means the newest.'),
]


def register_opts(conf):
    conf.register_opts(opts, group=GROUP)


def list_opts():
    return {GROUP: opts}
