"""The audit stream against a local SIEM receiver (tests/audit/receiver.py) that verifies signatures,
drops deliveries and comes back: every queued event arrives, under its one stable ID, and nothing
arrives twice except an event whose receiver took it but whose answer was lost (the documented
at-least-once guarantee)."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import override_settings

from audit import streams
from audit.actions import Action
from audit.models import AuditDelivery, AuditStream, DeliveryState
from audit.services import audit_record
from audit.stream_services import stream_remove, stream_resend, stream_set, stream_status, stream_test
from audit.streams import deliver_due, retry_wait, signature, signature_valid, webhook_problem
from spark_portal.sealing import is_sealed
from tests.audit.receiver import Receiver, running
from tests.factories import World

LOCAL = {
    "SPARK_AUDIT_STREAM_ALLOW_LOCAL": True,
    "SPARK_AUDIT_STREAM_RETRY_SECONDS": 0.0,
    "SPARK_AUDIT_STREAM_TIMEOUT_SECONDS": 2.0,
}


def _stream(world: World, receiver: Receiver) -> AuditStream:
    stream, secret = stream_set(organization=world.acme, url=receiver.url, enabled=True, actor=world.admin, origin=None)
    assert secret is not None and secret.startswith("whsec_")
    receiver.secret = secret
    return stream


def _events(world: World, n: int) -> None:
    for i in range(n):
        audit_record(
            action=Action.ORGANIZATION_CONTACT_CHANGED,
            summary=f"event {i}",
            organization=world.acme,
            actor=world.member,
        )


def _queued_ids() -> set[str]:
    return {str(i) for i in AuditDelivery.objects.values_list("event_id", flat=True)}


@override_settings(**LOCAL)
def test_every_event_arrives_once_under_its_id_through_failures_and_lost_answers(world: World) -> None:
    with running() as receiver:
        _stream(world, receiver)
        _events(world, 12)
        audit_record(
            action=Action.ORGANIZATION_CONTACT_CHANGED, summary="another organization's", organization=world.globex
        )
        queued = _queued_ids()
        assert len(queued) == 13  # the stream's own creation, and the 12

        receiver.mode = "fail"
        run = deliver_due(batch=5)
        assert (run.delivered, run.failed, run.deferred) == (0, 1, 4)  # the rest wait with the failed one
        assert len(receiver.requests) == 1 and _queued_ids() == queued

        receiver.mode = "lose"  # takes each event, but Spark Portal never hears so
        run = deliver_due(batch=3)
        assert (run.delivered, run.failed) == (0, 1)
        lost = receiver.requests[-1]

        receiver.mode = "ok"
        for _ in range(10):
            deliver_due(batch=4)
        assert AuditDelivery.objects.count() == 0
        assert set(receiver.events) == queued  # nothing lost
        # the first event: refused (500), then taken with its answer lost, then sent again (a duplicate)
        assert receiver.duplicates == 1 and receiver.requests.count(lost) == 3 and receiver.requests[0] == lost
        assert receiver.bad_signatures == 0
    actions = [p["event"]["action"] for p in receiver.events.values()]
    assert actions.count(Action.ORGANIZATION_CONTACT_CHANGED) == 12 and "audit_stream.created" in actions
    summaries = {p["event"]["summary"] for p in receiver.events.values()}
    assert "another organization's" not in summaries
    sample = next(p for p in receiver.events.values() if p["event"]["action"] == Action.ORGANIZATION_CONTACT_CHANGED)
    assert sample["organization"]["slug"] == world.acme.slug and sample["event"]["actor"] == world.member.email
    stream = AuditStream.objects.get()
    assert stream.delivered == 13 and stream.last_error.startswith("could not reach it")


@override_settings(**LOCAL)
def test_a_closed_port_and_the_command_loop_deliver_once_the_receiver_is_back(world: World) -> None:
    with running() as receiver:
        stream = _stream(world, receiver)
        url = receiver.url
    _events(world, 3)  # the receiver is gone: connection refused
    call_command("deliver_audit_events", "--once")
    assert AuditDelivery.objects.filter(attempts=1).count() == 1
    with running(receiver.secret) as back:
        stream.url = back.url
        stream.save()
        call_command("deliver_audit_events", "--once")
        assert len(back.events) == 4 and AuditDelivery.objects.count() == 0
    assert url != back.url


@override_settings(**LOCAL, SPARK_AUDIT_STREAM_ATTEMPTS=2)
def test_after_the_last_attempt_an_event_is_a_dead_letter_and_a_resend_keeps_its_id(world: World) -> None:
    with running() as receiver:
        stream = _stream(world, receiver)
        receiver.mode = "fail"
        deliver_due()
        deliver_due()
        dead = AuditDelivery.objects.get()
        assert (dead.state, dead.attempts, dead.last_error) == (DeliveryState.DEAD, 2, "it answered HTTP 500")
        assert deliver_due().failed == 0  # a dead letter is not tried again by itself
        assert stream_status(stream).dead == 1
        receiver.mode = "ok"
        assert stream_resend(stream=stream, event_ids=None, actor=world.admin, origin=None) == 1
        deliver_due()  # the re-send, and the audit event of the re-send
        assert str(dead.event_id) in receiver.events
        assert receiver.requests.count(str(dead.event_id)) == 3
        assert AuditDelivery.objects.count() == 0


@override_settings(**LOCAL, SPARK_AUDIT_STREAM_QUEUE_MAX=5)
def test_a_full_queue_drops_its_oldest_events_and_counts_them(world: World) -> None:
    with running() as receiver:
        stream = _stream(world, receiver)  # its creation is event 1
        _events(world, 7)
        stream.refresh_from_db()
        assert stream.dropped == 3 and AuditDelivery.objects.count() == 5
        kept = list(AuditDelivery.objects.order_by("id").values_list("audit_event__summary", flat=True))
        assert kept == [f"event {i}" for i in range(2, 7)]


@override_settings(**LOCAL, SPARK_AUDIT_STREAM_QUEUE_MAX=300)
def test_the_bound_is_checked_every_1_percent_and_holds_within_that_slack(world: World) -> None:
    streams._unchecked.clear()
    every = 300 // streams.BOUND_SLACK
    with running() as receiver:
        stream = _stream(world, receiver)  # its creation is event 1
        for n in range(2, 320):
            audit_record(action=Action.ORGANIZATION_CONTACT_CHANGED, summary=f"event {n}", organization=world.acme)
            queued = AuditDelivery.objects.count()
            assert queued == min(n, 300) or 300 < queued < 300 + every, (n, queued)
        stream.refresh_from_db()
        kept = list(AuditDelivery.objects.order_by("id").values_list("audit_event__summary", flat=True))
        assert stream.dropped == 319 - len(kept) > 0
        assert kept == [f"event {n}" for n in range(320 - len(kept), 320)]  # the oldest went


@override_settings(**LOCAL)
def test_the_test_delivery_is_signed_and_says_how_the_receiver_answered(world: World) -> None:
    with running() as receiver:
        stream = _stream(world, receiver)
        assert stream_test(stream=stream, actor=world.admin, origin=None).ok
        receiver.mode = "fail"
        failed = stream_test(stream=stream, actor=world.admin, origin=None)
        assert (failed.ok, failed.error) == (False, "it answered HTTP 500")
        assert [p["type"] for p in receiver.events.values()] == ["test"]
        assert receiver.bad_signatures == 0


@override_settings(**LOCAL)
def test_the_secret_is_stored_sealed_and_a_secret_no_key_opens_fails_in_words(world: World) -> None:
    with running() as receiver:
        _stream(world, receiver)
        stored = AuditStream.objects.values_list("secret", flat=True).get()
        assert receiver.secret not in stored and is_sealed(stored)
        assert AuditStream.objects.get().signing_secret() == receiver.secret
        assert deliver_due().delivered == 1 and receiver.bad_signatures == 0  # signed with the opened secret
        with override_settings(SECRET_KEY="another-key-" + "x" * 50, SECRET_KEY_FALLBACKS=[]):
            failed = stream_test(stream=AuditStream.objects.get(), actor=world.admin, origin=None)
        assert not failed.ok and "signing secret cannot be read" in failed.error
        assert len(receiver.requests) == 1  # nothing was sent unsigned


def test_a_signature_binds_the_body_the_secret_and_a_recent_time() -> None:
    body, now = b'{"id":"x"}', time.time()
    header = signature("whsec_a", int(now), body)
    assert signature_valid("whsec_a", header, body, now)
    assert not signature_valid("whsec_b", header, body, now)
    assert not signature_valid("whsec_a", header, body + b" ", now)
    assert not signature_valid("whsec_a", header, body, now + 301)  # a replay after the tolerance
    assert not signature_valid("whsec_a", "t=1,v1=00", body, now)


@pytest.mark.parametrize(
    ("url", "local", "refused"),
    [
        ("http://127.0.0.1:9/", False, "does not use https"),
        ("https://127.0.0.1/", False, "private or local address"),
        ("https://10.0.0.7/", False, "private or local address"),
        ("https://[::1]/", False, "private or local address"),
        ("https://169.254.169.254/latest/meta-data", False, "private or local address"),
        ("https://user:pw@93.184.216.34/", False, "user name or password"),
        ("ftp://93.184.216.34/", False, "not an http(s) URL"),
        ("http://127.0.0.1:9/", True, None),
    ],
)
def test_webhooks_on_internal_addresses_are_refused_unless_allowed(url: str, local: bool, refused: str | None) -> None:
    with override_settings(SPARK_AUDIT_STREAM_ALLOW_LOCAL=local):
        problem = webhook_problem(url)
    assert (problem is None) if refused is None else (refused in (problem or ""))


def test_setting_a_stream_on_an_internal_address_is_refused(world: World) -> None:
    with pytest.raises(ValidationError, match="private or local"):
        stream_set(organization=world.acme, url="https://127.0.0.1/x", enabled=True, actor=world.admin, origin=None)
    assert not AuditStream.objects.exists()


@override_settings(**LOCAL)
def test_a_paused_stream_queues_nothing_and_a_removed_one_takes_its_queue(world: World) -> None:
    with running() as receiver:
        stream = _stream(world, receiver)
        stream_set(organization=world.acme, url=receiver.url, enabled=False, actor=world.admin, origin=None)
        before = AuditDelivery.objects.count()
        _events(world, 2)
        assert AuditDelivery.objects.count() == before
        assert stream_remove(stream=stream, actor=world.admin, origin=None) == before
        assert not AuditDelivery.objects.exists()


@override_settings(SPARK_AUDIT_STREAM_RETRY_SECONDS=10.0, SPARK_AUDIT_STREAM_RETRY_MAX_SECONDS=3600.0)
def test_retries_wait_twice_as_long_each_time_up_to_the_longest() -> None:
    waits = [retry_wait(n).total_seconds() for n in (1, 2, 3, 12)]
    for wait, expected in zip(waits, (10, 20, 40, 3600), strict=True):
        assert expected * 0.9 <= wait <= expected * 1.1
    assert dt.timedelta(seconds=waits[0]) < dt.timedelta(seconds=waits[1])
