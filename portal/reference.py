"""Reference data: the registration bodies every installation starts with.

Provincial bodies carry their province's GB/T 2260 code; the center is 000000; department bodies (BMxx) and
filed central enterprises (YQxx) have codes of our choosing. Contact details are loaded with
``flask --app wsgi import bodies FILE.csv``.
"""

from __future__ import annotations

from sqlalchemy import select

from .extensions import db
from .models import Body, BodyKind, Category

PROVINCES = [
    ("110000", "北京市"), ("120000", "天津市"), ("130000", "河北省"), ("140000", "山西省"),
    ("150000", "内蒙古自治区"), ("210000", "辽宁省"), ("220000", "吉林省"), ("230000", "黑龙江省"),
    ("310000", "上海市"), ("320000", "江苏省"), ("330000", "浙江省"), ("340000", "安徽省"),
    ("350000", "福建省"), ("360000", "江西省"), ("370000", "山东省"), ("410000", "河南省"),
    ("420000", "湖北省"), ("430000", "湖南省"), ("440000", "广东省"), ("450000", "广西壮族自治区"),
    ("460000", "海南省"), ("500000", "重庆市"), ("510000", "四川省"), ("520000", "贵州省"),
    ("530000", "云南省"), ("540000", "西藏自治区"), ("610000", "陕西省"), ("620000", "甘肃省"),
    ("630000", "青海省"), ("640000", "宁夏回族自治区"), ("650000", "新疆维吾尔自治区"),
    ("660000", "新疆生产建设兵团"),
]
MUNICIPALITIES = {"北京市", "天津市", "上海市", "重庆市", "新疆生产建设兵团"}

DEPARTMENTS = [
    ("BM01", "住房和城乡建设部", Category.CONSTRUCTION),
    ("BM02", "交通运输部", Category.ROAD),
]

ENTERPRISES = [
    ("YQ01", "中国石油天然气集团有限公司"),
    ("YQ02", "中国石油化工集团有限公司"),
    ("YQ03", "国家能源投资集团有限责任公司"),
    ("YQ04", "中国中化控股有限责任公司"),
    ("YQ05", "中国宝武钢铁集团有限公司"),
]


def reference_bodies() -> list[dict]:
    """Every body of a new installation, as column values."""
    bodies = [dict(code="000000", name="注册安全工程师注册管理中心", kind=BodyKind.CENTRAL, sort_order=0)]
    for order, (code, province) in enumerate(PROVINCES, start=1):
        suffix = "局" if province in MUNICIPALITIES else "厅"
        bodies.append(dict(code=code, name=f"{province}应急管理{suffix}", kind=BodyKind.PROVINCE,
                           province=province, sort_order=order))
    for order, (code, name, category) in enumerate(DEPARTMENTS, start=100):
        bodies.append(dict(code=code, name=name, kind=BodyKind.DEPARTMENT, category=category, sort_order=order))
    for order, (code, name) in enumerate(ENTERPRISES, start=200):
        bodies.append(dict(code=code, name=name, kind=BodyKind.ENTERPRISE, sort_order=order))
    return bodies


def ensure_reference_data() -> int:
    """Add the reference bodies that are missing (existing ones are left as they are); returns how many."""
    existing = set(db.session.scalars(select(Body.code)))
    missing = [Body(**values) for values in reference_bodies() if values["code"] not in existing]
    db.session.add_all(missing)
    db.session.flush()
    return len(missing)
