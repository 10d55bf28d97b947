"""The website widget's size budget: the loader <= 10 KB gzipped; the chat's JS + CSS <= 100 KB gzipped.

    .venv/bin/python -m bench.widget_size            # prints a table, exits 1 when over budget
    .venv/bin/python -m bench.widget_size --json     # the same numbers as JSON

The loader (static/widget/sdk.js, served at /packs/js/sdk.js) is all a customer's page downloads until the
bubble is opened or a reply arrives; then the frame loads widget.js and widget.css (gzip level 9, as a CDN or
nginx `gzip_comp_level 9` would serve them). No database or server is needed.
"""

import argparse
import gzip
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WIDGET = ROOT / "static" / "widget"
BUDGETS = {"loader": (["sdk.js"], 10 * 1024), "chat": (["widget.js", "widget.css"], 100 * 1024)}


def measure() -> dict:
    results = {}
    for name, (files, budget) in BUDGETS.items():
        raw = b"".join((WIDGET / f).read_bytes() for f in files)
        gzipped = sum(len(gzip.compress((WIDGET / f).read_bytes(), 9)) for f in files)
        results[name] = {"files": files, "bytes": len(raw), "gzip_bytes": gzipped, "budget_gzip_bytes": budget,
                         "ok": gzipped <= budget}
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = measure()
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(f"{'part':8} {'files':24} {'raw':>9} {'gzip':>9} {'budget':>9}")
        for name, r in results.items():
            print(f"{name:8} {'+'.join(r['files']):24} {r['bytes'] / 1024:8.1f}K {r['gzip_bytes'] / 1024:8.1f}K "
                  f"{r['budget_gzip_bytes'] / 1024:8.0f}K {'ok' if r['ok'] else 'OVER'}")
    return 0 if all(r["ok"] for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
