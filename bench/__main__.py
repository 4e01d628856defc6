"""`python -m bench`: run every benchmark, print a table, write bench/results.json."""

from bench.main import main

if __name__ == "__main__":
    raise SystemExit(main())
