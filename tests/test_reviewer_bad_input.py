"""Odd URLs and forms never give an error page of the server: bad page numbers, sort columns, search terms,
filter values and record ids get a normal page, a message or a 404; a NUL character gets a 400."""

from __future__ import annotations

import pytest

from tests.factories import login_as
from tests.test_reviewer_helpers import post, text, world

LISTS = ["/reviewer/applications/", "/reviewer/people/", "/reviewer/corrections/", "/reviewer/audit/",
         "/reviewer/staff/", "/reviewer/bodies/"]
QUERIES = ["page=abc", "page=-5", "page=99999999999999999999", "sort=99", "sort=-1&desc=1", "search=%25_%5C",
           "search=" + "x" * 3000, "flt0_0=", "flt9_99=1", "flt0_2=2020-01-01+to+2019-01-01",
           "page_size=100000", "flt0_0=submitted&flt1_0=returned"]


def test_odd_list_arguments_still_give_a_list(client, db):
    w = world(db)
    login_as(client, w.central)
    for base in LISTS:
        for query in QUERIES:
            response = client.get(f"{base}?{query}")
            html = response.get_data(as_text=True)
            assert response.status_code == 200, (base, query, response.status_code)
            assert 'class="table table-striped table-bordered table-hover model-list' in html or "没有记录" in html, \
                (base, query)
            assert "系统错误" not in html, (base, query)


@pytest.mark.parametrize("url", ["/reviewer/applications/details/?id=abc",
                                 "/reviewer/applications/details/?id=999999999999999999999",
                                 "/reviewer/people/details/?id=-1", "/reviewer/corrections/scan/?id=",
                                 "/reviewer/staff/details/?id=1e9", "/reviewer/applications/decide/nonsense/"])
def test_odd_record_ids_are_not_found(client, db, url):
    w = world(db)
    login_as(client, w.central)
    response = client.get(url) if "decide" not in url else post(client, url)
    assert response.status_code == 404
    assert "页面不存在" in text(response)


def test_a_nul_character_is_refused(client, db):
    w = world(db)
    login_as(client, w.reviewer_a)
    assert client.get("/reviewer/people/?search=%00").status_code == 400
    response = post(client, f"/reviewer/corrections/new/?person_id={w.person_a.id}", {"name": "王\x00", "reason": "x"})
    assert response.status_code == 400 and "提交的内容无法处理" in text(response)
