import threading

from assistant.bus import EventBus
from assistant.contracts.events import ErrorOccurred, TurnEnded
from assistant.contracts.turns import CancelToken
from assistant.pipeline.turns import TurnTracker
from testkit.helpers import wait_until


def test_a_failing_subscriber_does_not_stop_the_others():
    bus = EventBus()
    got = []

    def broken(event):
        raise RuntimeError("boom")

    bus.subscribe(broken)
    unsubscribe = bus.subscribe(got.append)
    bus.publish(ErrorOccurred(code="x", message="y"))
    assert [e.code for e in got] == ["x"]
    unsubscribe()
    bus.publish(ErrorOccurred(code="z", message="y"))
    assert len(got) == 1


def test_events_from_many_threads_all_arrive():
    bus = EventBus()
    got = []
    lock = threading.Lock()

    def collect(event):
        with lock:
            got.append(event.turn_id)

    bus.subscribe(collect)
    threads = [threading.Thread(target=lambda i=i: [bus.publish(TurnEnded(turn_id=i * 100 + k, outcome="completed"))
                                                  for k in range(100)]) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == sorted(i * 100 + k for i in range(4) for k in range(100))


def test_a_new_turn_cancels_the_previous_one():
    turns = TurnTracker(EventBus())
    first = turns.begin(0.0)
    second = turns.begin(0.0)
    assert first.cancelled and not second.cancelled
    assert turns.is_current(second.turn_id) and second.turn_id > first.turn_id


def test_interrupt_cancels_and_makes_the_turn_stale():
    turns = TurnTracker(EventBus())
    token = turns.begin(0.0)
    assert turns.cancel_all() == [token.turn_id]
    assert token.cancelled and not turns.is_current(token.turn_id)
    assert turns.token(token.turn_id).cancelled  # an ended turn's token reads as cancelled


def test_a_held_token_keeps_its_generation_waiting_until_released():
    token = CancelToken(1)
    token.hold()
    assert token.held
    assert token.wait_released(0.2) is False  # never released: waits out its timeout
    threading.Timer(0.05, token.release).start()
    assert token.wait_released(60) is True and not token.held  # woken by the release, not the timeout


def test_cancelling_a_held_token_lets_its_generation_go_and_it_cannot_be_held_again():
    token = CancelToken(1)
    token.hold()
    threading.Timer(0.05, token.cancel).start()
    assert token.wait_released(60) is True and token.cancelled and not token.held
    token.hold()
    assert not token.held


def test_a_token_that_follows_another_is_cancelled_and_held_with_it():
    """A reply written ahead of its turn goes on under the turn's token: the turn's hold and cancel reach it."""
    draft, turn = CancelToken(0), CancelToken(7)
    draft.hold()
    draft.follow(turn)
    assert not draft.held  # its own hold is over
    turn.hold()
    assert draft.held
    waiter = threading.Thread(target=draft.wait_released, args=(5.0,))
    waiter.start()
    assert not wait_until(lambda: not waiter.is_alive(), 0.2)  # it waits on the turn's hold
    turn.release()
    waiter.join(2.0)
    assert not waiter.is_alive() and not draft.held
    assert not draft.cancelled
    turn.cancel()
    assert draft.cancelled
