"""Pages are gzipped only for requests the browser marks as Homeroom's own (BREACH)."""

import gzip

import pytest
from django.urls import reverse


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("origin", "compressed"),
    [
        ("same-origin", True),
        ("none", True),
        ("cross-site", False),
        ("same-site", False),
        (None, False),
    ],
)
def test_a_signed_in_page_is_compressed_only_for_same_origin_requests(
    cohort, people, client_for, origin, compressed
):
    headers = {"Accept-Encoding": "gzip, br"}
    if origin:
        headers["Sec-Fetch-Site"] = origin
    client = client_for(people["participant"])
    response = client.get(reverse("cohorts:detail", args=[cohort.slug]), headers=headers)

    assert response.status_code == 200
    assert "Sec-Fetch-Site" in response["Vary"]
    body = response.content
    if compressed:
        assert response["Content-Encoding"] == "gzip"
        body = gzip.decompress(body)
    else:
        assert not response.has_header("Content-Encoding")
    assert b"Machine Learning" in body and b'name="csrfmiddlewaretoken"' in body
