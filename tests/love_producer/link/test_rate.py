"""Rates over a sliding window (love_producer.link.rate)."""

from love_producer.link.rate import RateMeter


def test_rate_over_the_window_and_zero_when_idle():
    m = RateMeter(window=5.0)
    assert m.rate(0.0) == 0.0
    for i in range(11):
        m.add(float(i), 100 * i)  # 100 frames per second for 10 s
    assert abs(m.rate(10.0) - 100.0) < 1.0
    assert m.rate(30.0) == 0.0  # nothing sent for longer than the window
