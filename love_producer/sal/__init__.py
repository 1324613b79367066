"""What crosses the SAL edge, as the domain sees it: samples in, commands out, and the one
rule that drops duplicate and out-of-order samples."""
