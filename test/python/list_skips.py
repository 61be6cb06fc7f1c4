"""Every test of the given test/python files, with the reason it is skipped under this Python (a
skip/skipIf/skipUnless decorator on its class or method) or null, as JSON {file: [{id, skip}]}.
test/models.test.ts reports those skips as jest skips, which unittest's final "OK" does not show."""

import json
import os
import sys
import unittest


def tests_of(suite):
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            yield from tests_of(item)
        else:
            yield item


def skip_reason(test):
    for owner in (type(test), getattr(test, test._testMethodName, None)):
        if getattr(owner, "__unittest_skip__", False):
            return getattr(owner, "__unittest_skip_why__", "") or "skipped"
    return None


def main(files):
    here = os.path.dirname(os.path.abspath(__file__))
    loader = unittest.TestLoader()
    listing = {
        name: [{"id": test.id(), "skip": skip_reason(test)} for test in tests_of(loader.discover(here, pattern=name))]
        for name in files
    }
    json.dump(listing, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1:])
