"""Which registration body runs 初审 (RULES.md "Which body reviews"): 建筑施工安全 → 住房和城乡建设部 (BM01),
道路运输安全 → 交通运输部 (BM02), an employee of a filed central enterprise → that enterprise's body, otherwise the
body of the employer's province, suggested from the 统一社会信用代码 (its characters 3–8 are the registering
authority's division code; the first two digits name the province). The applicant confirms the suggestion.
"""

from __future__ import annotations

from sqlalchemy import select

from ...extensions import db
from ...models import Body, BodyKind, Category


def province_code(credit_code: str | None) -> str | None:
    """The province's GB/T 2260 code suggested by a 统一社会信用代码 (``91210100…`` → ``210000``), or None."""
    digits = (credit_code or "")[2:4]
    return f"{digits}0000" if len(digits) == 2 and digits.isdigit() and digits != "00" else None


def department_for(category: Category | None) -> Body | None:
    """The department body that registers ``category`` (建筑施工安全, 道路运输安全), if any."""
    if category is None:
        return None
    return db.session.scalars(select(Body).where(Body.kind == BodyKind.DEPARTMENT, Body.category == category)
                              .order_by(Body.code).limit(1)).first()


def enterprise_bodies() -> list[Body]:
    """The filed central enterprises (备案央企) an applicant may say they work for."""
    return list(db.session.scalars(select(Body).where(Body.kind == BodyKind.ENTERPRISE)
                                   .order_by(Body.sort_order, Body.code)))


def suggest_body(category: Category | str | None, credit_code: str | None,
                 enterprise_body_id: int | None = None) -> Body | None:
    """The body that should run 初审 for an applicant of ``category`` employed by the employer with
    ``credit_code`` (at the filed central enterprise ``enterprise_body_id``, if one was chosen); None when the
    credit code names no province the registry has a body for."""
    if category is not None and not isinstance(category, Category):
        try:
            category = Category(category)
        except ValueError:
            category = None
    department = department_for(category)
    if department is not None:
        return department
    if enterprise_body_id:
        enterprise = db.session.get(Body, enterprise_body_id)
        if enterprise is not None and enterprise.kind is BodyKind.ENTERPRISE:
            return enterprise
    code = province_code(credit_code)
    if code is None:
        return None
    return db.session.scalar(select(Body).where(Body.code == code, Body.kind == BodyKind.PROVINCE))
