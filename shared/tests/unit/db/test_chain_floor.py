from wenze.db.audit import ChainFloor


def test_until_the_horizon_has_passed_the_floor_is_the_first_mark() -> None:
    floor = ChainFloor(horizon=60)
    assert floor.mark(0, 100) == 100
    assert floor.mark(1, 180) == 100
    assert floor.mark(59, 900) == 100


def test_the_floor_is_the_newest_mark_at_least_a_horizon_old() -> None:
    floor = ChainFloor(horizon=60)
    for second, newest in [(0, 100), (10, 200), (20, 300), (30, 400)]:
        floor.mark(second, newest)
    assert floor.mark(70, 500) == 200  # the mark of second 10 is the newest older than 60 s
    assert floor.mark(80, 600) == 300
    assert floor.mark(500, 700) == 600  # long idle: the last mark before the horizon


def test_the_floor_never_goes_down() -> None:
    floor = ChainFloor(horizon=5)
    seen = [floor.mark(second, second * 10) for second in range(0, 40, 3)]
    assert seen == sorted(seen)
    assert seen[-1] > seen[0]
