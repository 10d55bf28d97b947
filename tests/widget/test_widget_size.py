"""The widget's size budget (bench/widget_size.py): loader <= 10 KB gzipped, chat JS + CSS <= 100 KB gzipped."""

from bench.widget_size import measure


def test_widget_assets_stay_within_budget():
    results = measure()
    assert results["loader"]["gzip_bytes"] <= 10 * 1024, results["loader"]
    assert results["chat"]["gzip_bytes"] <= 100 * 1024, results["chat"]
