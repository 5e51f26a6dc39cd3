"""Search: embed, store vectors and BM25, build and load indexes, retrieve and fuse."""
