"""Public pages of guide 六: 注册机构联系方式查询, 公告信息, 注册表格下载 (PDF), 相关制度, and the home page links."""

from __future__ import annotations

import io
from datetime import timedelta
from urllib.parse import unquote

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from portal.clock import utcnow
from portal.models import Announcement, Body, Document, DocumentKind
from tests.accounts_helpers import text


@pytest.fixture
def contacts(db):
    for code, phone in (("210000", "024-12345678"), ("110000", "010-87654321")):
        body = db.session.scalar(select(Body).where(Body.code == code))
        body.address, body.phone, body.fax, body.email = f"{body.province}某路1号", phone, phone[:-1] + "9", \
            f"zhuce{code}@example.gov.cn"
    db.session.commit()


@pytest.fixture
def announcements(db):
    now = utcnow()
    items = [Announcement(title="较早的公告", body="第一段。\n第二段。", published_at=now - timedelta(days=10)),
             Announcement(title="最新的公告", body="延续注册工作安排。", published_at=now - timedelta(days=1)),
             Announcement(title="草稿公告", body="尚未发布。", published=False, published_at=now)]
    db.session.add_all(items)
    db.session.commit()
    return items


@pytest.fixture
def documents(db):
    items = [
        Document(kind=DocumentKind.FORM, title="注册安全工程师延续注册申请表（空白）", template="renewal_blank.html",
                 sort_order=1),
        Document(kind=DocumentKind.FORM, title="证件信息更正申请表（空白）", template="correction_blank.html",
                 sort_order=2),
        Document(kind=DocumentKind.FORM, title="坏模板", template="../base.html", sort_order=3),
        Document(kind=DocumentKind.REGULATION, title="注册安全工程师管理规定",
                 issued_by="国家安全生产监督管理总局令第11号",
                 body="第一条 为了加强注册安全工程师的管理，制定本规定。\n第二条 本规定适用于注册安全工程师。",
                 url="https://www.mem.gov.cn/", sort_order=1),
        Document(kind=DocumentKind.REGULATION, title="只有链接的制度", url="javascript:alert(1)", sort_order=2),
    ]
    db.session.add_all(items)
    db.session.commit()
    return items


def test_home_page_links_the_four_public_pages_and_the_latest_announcements(client, db, announcements):
    response = client.get("/")
    page = text(response)
    body = response.get_data(as_text=True)
    for path in ('href="/bodies"', 'href="/announcements"', 'href="/forms"', 'href="/regulations"'):
        assert path in body
    for label in ("注册机构联系方式查询", "公告信息", "注册表格下载", "相关制度"):
        assert label in page
    assert page.index("最新的公告") < page.index("较早的公告")
    assert "草稿公告" not in page


def test_bodies_are_searched_by_name_or_province(client, db, contacts):
    page = text(client.get("/bodies?q=辽宁"))
    assert "辽宁省应急管理厅" in page and "北京市应急管理局" not in page
    assert "辽宁省某路1号" in page and "024-12345678" in page and "024-12345679" in page
    assert "zhuce210000@example.gov.cn" in page
    page = text(client.get("/bodies?province=北京市"))
    assert "北京市应急管理局" in page and "辽宁省应急管理厅" not in page
    page = text(client.get("/bodies?q=住房和城乡建设"))
    assert "住房和城乡建设部" in page and "部门注册机构" in page
    page = text(client.get("/bodies"))
    assert "注册安全工程师注册管理中心" in page and "中国石油化工集团有限公司" in page


def test_a_search_without_result_says_so_and_wildcards_are_literal(client, db):
    assert "没有找到符合条件的注册机构" in text(client.get("/bodies?q=%25"))
    assert "没有找到符合条件的注册机构" in text(client.get("/bodies?q=不存在的机构"))


def test_announcements_newest_first_and_only_published(client, db, announcements):
    page = text(client.get("/announcements"))
    assert page.index("最新的公告") < page.index("较早的公告")
    assert "草稿公告" not in page
    older, _, draft = announcements
    detail = client.get(f"/announcements/{older.id}")
    assert "第一段。" in text(detail) and "<p>第二段。</p>" in detail.get_data(as_text=True)
    assert client.get(f"/announcements/{draft.id}").status_code == 404
    assert client.get("/announcements/99999").status_code == 404


def test_forms_download_as_pdf_rendered_by_the_app(client, db, documents):
    page = client.get("/forms").get_data(as_text=True)
    renewal, correction = documents[0], documents[1]
    assert f'href="/forms/{renewal.id}.pdf"' in page and "证件信息更正申请表（空白）" in page
    response = client.get(f"/forms/{renewal.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "注册安全工程师延续注册申请表（空白）.pdf" in unquote(response.headers["Content-Disposition"])
    reader = PdfReader(io.BytesIO(response.data))
    content = "".join(page.extract_text() for page in reader.pages)
    for words in ("注册安全工程师延续注册申请表", "个人基本信息", "聘用单位信息", "继续教育情况", "工作经历",
                  "申请人签字", "聘用单位公章", "注册机构初审意见"):
        assert words in content
    assert reader.pages[0].mediabox.width == pytest.approx(595.27, abs=1)  # A4
    response = client.get(f"/forms/{correction.id}.pdf")
    pages = PdfReader(io.BytesIO(response.data)).pages
    content = "".join(page.extract_text() for page in pages)
    assert "证件信息更正申请表" in content and "更正后的信息" in content and "传真" in content
    assert len(pages) == 1  # it is faxed: one sheet
    for words in ("申请人承诺", "注册机构核对意见", "注册管理中心审核意见", "申请人签字"):
        assert words in content


def test_blank_forms_have_an_ascii_file_name_beside_the_chinese_one(client, db, documents):
    """Clients without UTF-8 file names saved 「().pdf」: ``filename`` is ASCII, ``filename*`` the Chinese title."""
    renewal, correction = documents[0], documents[1]
    for document, ascii_name in ((renewal, "renewal-blank.pdf"), (correction, "correction-blank.pdf")):
        disposition = client.get(f"/forms/{document.id}.pdf").headers["Content-Disposition"]
        disposition.encode("ascii")
        assert disposition.startswith(f'attachment; filename="{ascii_name}"; filename*=UTF-8\'\'')
        assert unquote(disposition.split("filename*=UTF-8''")[1]) == f"{document.title}.pdf"


def test_unknown_form_or_unsafe_template_is_404(client, db, documents):
    for url in (f"/forms/{documents[2].id}.pdf", f"/forms/{documents[3].id}.pdf", "/forms/99999.pdf"):
        response = client.get(url)  # an unsafe template, a regulation (no form), an unknown id
        assert response.status_code == 404 and response.mimetype == "text/html", url
        assert "页面不存在" in text(response)


def test_regulations_with_authority_text_and_only_safe_links(client, db, documents):
    response = client.get("/regulations")
    page = text(response)
    body = response.get_data(as_text=True)
    assert "注册安全工程师管理规定" in page and "国家安全生产监督管理总局令第11号" in page
    assert 'href="https://www.mem.gov.cn/"' in body
    assert "javascript:" not in body
    regulation = documents[3]
    detail = text(client.get(f"/regulations/{regulation.id}"))
    assert "第二条 本规定适用于注册安全工程师。" in detail
    assert client.get(f"/regulations/{documents[0].id}").status_code == 404


def test_the_navigation_links_the_public_pages(client):
    body = client.get("/announcements").get_data(as_text=True)
    assert body.count('href="/regulations"') >= 1 and 'href="/forms"' in body
