"""The benchmark harness: the actor path against an upstream-style baseline, the sink, the
statistics. Only the command line, scripts and tests import it."""
