"""The fleet protocol: which component runs where, restarts, host liveness, on-demand starts,
status gathering and the stop protocol, as a state machine the Factory actor drives."""
