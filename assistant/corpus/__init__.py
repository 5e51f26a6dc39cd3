"""Corpus: read files of every format, clean them, chunk them into passages and sentences."""
