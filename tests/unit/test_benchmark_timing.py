"""What the benchmarks time is what they say they time."""
import re
import sys
import time


def test_the_survey_benchmarks_recount_time_leaves_out_the_planners_statistics(monkeypatch, capsys):
    """`(counting the N responses from scratch ...: X s)` times the recount alone: the ANALYZE after the load
    (bench.common.planner_statistics, as long as the whole database takes) is not part of it. Here ANALYZE takes
    an hour of a clock that only it moves."""
    import bench.common
    from bench import survey_aggregate
    real_clock, hour = time.perf_counter, [0.0]
    original = bench.common.planner_statistics

    def slow_statistics():
        original()
        hour[0] += 3600.0

    monkeypatch.setattr(time, "perf_counter", lambda: real_clock() + hour[0])
    monkeypatch.setattr(bench.common, "planner_statistics", slow_statistics)
    monkeypatch.setattr(sys, "argv", ["survey_aggregate.py", "--responses", "40"])
    survey_aggregate.main()
    assert hour[0] == 3600.0  # the statistics were gathered
    printed = capsys.readouterr().out
    recount = re.search(r"counting the 40 responses from scratch, as a repair would: ([\d.]+) s", printed)
    assert recount and float(recount.group(1)) < 60, printed
