"""Reference data as the integration API shows it: codes, and names in both languages.

Names are stored in Chinese; the English name is the catalogue's translation of it (the
Chinese name again when none is given), so adding ``"城市管理": "City management"`` to
``translations/en.json`` names a category in English everywhere.
"""

from __future__ import annotations

from typing import Any

from hotline.i18n import catalogue
from hotline.models import Category, Department


def names(name: str) -> dict[str, str]:
    """A stored (Chinese) name in every interface language."""
    return {"zh_CN": name, "en": catalogue("en").get(name, name)}


def category_json(category: Category) -> dict[str, Any]:
    """One category with its parent's code and its default department's code."""
    return {
        "code": category.code, "name": names(category.name),
        "parent": category.parent.code if category.parent else None,
        "department": (category.default_department.code
                       if category.default_department else None),
        "local_routing": category.local_routing, "active": category.active,
    }


def department_tree(departments: list[Department]) -> list[dict[str, Any]]:
    """The departments as a tree: each with its ``children``, top-level ones in the list."""
    nodes = {d.id: {"code": d.code, "name": names(d.name), "district": d.district,
                    "active": d.active, "children": []} for d in departments}
    roots: list[dict[str, Any]] = []
    for department in departments:
        parent = nodes.get(department.parent_id) if department.parent_id else None
        (parent["children"] if parent else roots).append(nodes[department.id])
    return roots
