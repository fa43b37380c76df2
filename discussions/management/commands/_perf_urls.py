"""The benchmark's temporary URLconf: the product's URLs plus bench-only views."""

from discussions.perf import bench_urlpatterns

urlpatterns = bench_urlpatterns()
