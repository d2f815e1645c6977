"""The peer of `cargo bench --bench cycle`'s load phase: bugbot's Bugzilla
library libmozdata loading push bugs and their comments by id.

Run by the bench (benches/cycle.rs) against its in-process sandbox, once per
run; prints one JSON line: the seconds the load took (from creating the
`Bugzilla` query to `wait()` returning: libmozdata's own session and
connections included, Python start-up and imports not), and the bugs and
comments it got, so the bench can check both sides loaded the same.

Ids, not a search: libmozdata's search path asks for `count_only`, which stock
Bugzilla 5.2 ignores. libmozdata sends the key as the `X-Bugzilla-API-Key`
header, which 5.2 (and the sandbox) ignores: its reads are anonymous, and the
bench's bugs are public, so it sees the same bugs.

Usage: python3 peer_libmozdata.py BASE_URL API_KEY IDS_FILE
(IDS_FILE: bug ids, one a line). Exit code 3 when libmozdata is not
installed (`pip install libmozdata`).
"""

import json
import sys
import time


def main():
    base, key, ids_file = sys.argv[1], sys.argv[2], sys.argv[3]
    try:
        from libmozdata import config
        from libmozdata.bugzilla import Bugzilla, BugzillaBase
    except ImportError:
        print("libmozdata is not installed: pip install libmozdata", file=sys.stderr)
        return 3
    with open(ids_file) as f:
        ids = [line.strip() for line in f if line.strip()]

    # libmozdata reads its server from class attributes set at import time
    # (`Bugzilla.URL`, `API_URL`); point them at the sandbox.
    base = base.rstrip("/")
    BugzillaBase.URL = base
    Bugzilla.URL = base
    Bugzilla.API_URL = base + "/rest/bug"
    Bugzilla.ATTACHMENT_API_URL = Bugzilla.API_URL + "/attachment"
    Bugzilla.TOKEN = key
    # Every connection it opens (its private-bug check too) needs a
    # User-Agent from the config.
    config.set_default_value("User-Agent", "name", "pushbot-bench-peer (libmozdata)")

    bugs = {}
    comments = {}

    def bughandler(bug, data):
        data[int(bug["id"])] = bug

    def commenthandler(bug, bugid, data):
        data[int(bugid)] = bug["comments"]

    started = time.perf_counter()
    Bugzilla(
        bugids=ids,
        include_fields=["_default", "triage_owner"],
        bughandler=bughandler,
        bugdata=bugs,
        commenthandler=commenthandler,
        commentdata=comments,
    ).wait()
    seconds = time.perf_counter() - started

    print(
        json.dumps(
            {
                "seconds": seconds,
                "bugs": len(bugs),
                "comments": sum(len(c) for c in comments.values()),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
