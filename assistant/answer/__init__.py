"""Answer: read the retrieved passages, calibrate, cite exactly, flag conflicts, resolve dates."""
