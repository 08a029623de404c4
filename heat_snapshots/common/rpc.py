"""oslo.messaging set-up shared by the API and the engine."""

import threading
import time

from oslo_config import cfg
import oslo_messaging as messaging
from oslo_messaging._drivers import base as driver_base
from oslo_messaging._drivers import impl_fake
from oslo_messaging.rpc import dispatcher

from heat_snapshots.common import context as hs_context
from heat_snapshots.common import exception

CONF = cfg.CONF
TRANSPORT = None

# Exceptions from these modules are re-raised as themselves on the caller's
# side, so the API maps them to Heat's codes without a lookup table.
ALLOWED_EXMODS = [exception.__name__]


def is_in_process(conf=CONF):
    return (conf.transport_url or '').startswith('fake:')


# The in-process transport (heat-snapshots-all) is oslo.messaging's fake
# driver, whose server looks for a message every 50 ms: every API call
# waited up to 50 ms for it. These classes wake the server when a message
# arrives instead; the 50 ms look remains as a fallback.

class _WakingExchange(impl_fake.FakeExchange):

    def __init__(self, name):
        super().__init__(name)
        self.arrived = threading.Condition(self._queues_lock)

    def deliver_message(self, *args, **kwargs):
        with self.arrived:
            super().deliver_message(*args, **kwargs)
            self.arrived.notify_all()


class _WakingExchangeManager(impl_fake.FakeExchangeManager):
    _exchanges_lock = threading.Lock()
    _exchanges = {}

    def get_exchange(self, name):
        if name is None:
            name = self._default_exchange
        with self._exchanges_lock:
            if name not in self._exchanges:
                self._exchanges[name] = _WakingExchange(name)
            return self._exchanges[name]


class _WakingListener(impl_fake.FakeListener):

    @driver_base.batch_poll_helper
    def poll(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        manager = self._exchange_manager
        while not self._stopped.is_set():
            first = manager.get_exchange(self._targets[0].exchange)
            with first.arrived:
                for target in self._targets:
                    exchange = manager.get_exchange(target.exchange)
                    ctxt, message, reply_q, requeue = exchange.poll(
                        target, self._pool)
                    if message is not None:
                        return impl_fake.FakeIncomingMessage(
                            ctxt, message, reply_q, requeue)
                pause = 0.05
                if deadline is not None:
                    pause = min(pause, deadline - time.monotonic())
                    if pause < 0:
                        return None
                first.arrived.wait(pause)
        return None


class _InProcessDriver(impl_fake.FakeDriver):

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._exchange_manager = _WakingExchangeManager(
            self._default_exchange)

    def listen(self, target, batch_size, batch_timeout):
        exchange = target.exchange or self._default_exchange
        listener = _WakingListener(
            self._exchange_manager,
            [messaging.Target(topic=target.topic, server=target.server,
                              exchange=exchange),
             messaging.Target(topic=target.topic, exchange=exchange)])
        return driver_base.PollStyleListenerAdapter(listener, batch_size,
                                                    batch_timeout)


def init(conf=CONF):
    global TRANSPORT
    if TRANSPORT is None:
        TRANSPORT = messaging.get_rpc_transport(
            conf, allowed_remote_exmods=ALLOWED_EXMODS)
        driver = TRANSPORT._driver
        if type(driver) is impl_fake.FakeDriver:
            TRANSPORT._driver = _InProcessDriver(
                driver.conf, driver._url, driver._default_exchange,
                driver._allowed_remote_exmods)
    return TRANSPORT


def cleanup():
    global TRANSPORT
    if TRANSPORT is not None:
        TRANSPORT.cleanup()
        TRANSPORT = None


class RequestContextSerializer(messaging.Serializer):
    """Sends the caller's context with every call."""

    def serialize_entity(self, context, entity):
        return entity

    def deserialize_entity(self, context, entity):
        return entity

    def serialize_context(self, context):
        return context.to_dict()

    def deserialize_context(self, context):
        return hs_context.RequestContext.from_dict(context)


def get_client(target, version_cap=None, timeout=None):
    return messaging.get_rpc_client(
        init(), target, version_cap=version_cap,
        serializer=RequestContextSerializer(), timeout=timeout)


def get_server(target, endpoints):
    access_policy = dispatcher.DefaultRPCAccessPolicy
    # The threading executor is the default; naming it is deprecated.
    return messaging.get_rpc_server(
        init(), target, endpoints,
        serializer=RequestContextSerializer(),
        access_policy=access_policy)
