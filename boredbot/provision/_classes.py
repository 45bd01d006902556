"""
Each class as the plan says: created, or given the fields and permissions
it lacks; a field of another type is refused, never changed.
"""

from __future__ import annotations

from typing import Any

from luggage.parse.client import ParseError
from luggage.parse.errors import INVALID_CLASS_NAME

from ..schema import ClassPlan
from ._admin import ParseAdmin, ProvisionError


async def provision_class(admin: ParseAdmin, plan: ClassPlan) -> str:
    try:
        existing = await admin.get_schema(plan.name)
    except ParseError as error:
        if error.code != INVALID_CLASS_NAME:
            raise
        await admin.create_schema(plan.name, plan.schema())
        return f"{plan.name}: created"
    fields = existing.get("fields", {})
    for name, kind in plan.fields.items():
        found = fields.get(name, {}).get("type", kind)
        if found != kind:
            raise ProvisionError(
                admin.account.name,
                f"class {plan.name} has field {name} of type {found}, not {kind};"
                " change or remove it by hand",
            )
    update: dict[str, Any] = {}
    missing = {name: kind for name, kind in plan.fields.items() if name not in fields}
    if missing:
        update["fields"] = {name: {"type": kind} for name, kind in missing.items()}
    if existing.get("classLevelPermissions") != plan.permissions():
        update["classLevelPermissions"] = plan.permissions()
    if not update:
        return f"{plan.name}: already as needed"
    await admin.update_schema(plan.name, update)
    done = [f"added fields {', '.join(sorted(missing))}"] if missing else []
    if "classLevelPermissions" in update:
        done.append("set its permissions")
    return f"{plan.name}: {' and '.join(done)}"
