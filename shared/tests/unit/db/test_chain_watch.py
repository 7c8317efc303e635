from wenze.db.audit import ChainWatch


def test_a_pass_looks_at_the_ids_given_since_the_last() -> None:
    watch = ChainWatch(horizon=60, seen_up_to=10)
    assert watch.candidates(14) == [11, 12, 13, 14]
    watch.passed(1, 14, {11, 12, 13, 14})
    assert watch.candidates(14) == []
    assert watch.candidates(16) == [15, 16]


def test_an_id_not_committed_at_its_pass_is_looked_at_again_until_it_is() -> None:
    watch = ChainWatch(horizon=60, seen_up_to=10)
    watch.passed(1, 14, {11, 13, 14})  # 12's transaction is still open
    assert watch.candidates(15) == [12, 15]
    watch.passed(2, 15, {15})
    assert watch.candidates(15) == [12]
    watch.passed(3, 15, {12})
    assert watch.candidates(15) == []


def test_a_gap_older_than_the_horizon_is_left_to_the_full_pass() -> None:
    watch = ChainWatch(horizon=60, seen_up_to=0)
    watch.passed(0, 3, {1, 3})  # 2 was rolled back, or its transaction outlives the horizon
    watch.passed(59, 3, set())
    assert watch.candidates(3) == [2]
    watch.passed(61, 3, set())
    assert watch.candidates(3) == []
