"""Template tabs in the simulator: values sent in `templateRoles[].tabs` fill the template's
tabs, each collection its own way, as DocuSign does; sender (prefill) tabs live on documents.

Reference: https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/enveloperecipienttabs/
"""

import uuid
from typing import Any

from simulator.esign.wire import ApiError

# Collections whose tabs carry their value in `value`.
VALUE_TABS = (
    "textTabs",
    "numberTabs",
    "dateTabs",
    "emailTabs",
    "companyTabs",
    "titleTabs",
    "fullNameTabs",
    "noteTabs",
)
BOOLEANS = ("true", "false")


def _invalid(message: str, code: str = "INVALID_REQUEST_BODY") -> ApiError:
    return ApiError(code, message)


def _label(tab: dict[str, Any], kind: str) -> str:
    # A radio group is matched by its groupName (DocuSign's rule for radio groups).
    return str(tab.get("groupName") if kind == "radioGroupTabs" else tab.get("tabLabel"))


def _given(given: Any) -> dict[tuple[str, str], dict[str, Any]]:
    if not isinstance(given, dict):
        raise _invalid("A template role's tabs must be an object.")
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for kind, tabs in given.items():
        for tab in tabs if isinstance(tabs, list) else []:
            if isinstance(tab, dict):
                found[(kind, _label(tab, kind))] = tab
    return found


def fill(template_tabs: dict[str, Any], given: Any, *, role: str) -> dict[str, Any]:
    """The role's tabs with the values sent for it; a value for a tab the template does not
    have, in the wrong collection, or outside a list's or radio group's choices is refused."""
    values = _given(given)
    known = {
        (kind, _label(tab, kind)) for kind, tabs in template_tabs.items() for tab in tabs or []
    }
    unknown = sorted(f"{label} ({kind})" for kind, label in set(values) - known)
    if unknown:
        raise _invalid(
            f"Role '{role}': no tab with the label(s) {', '.join(unknown)} in the template.",
            "TAB_LABEL_NOT_FOUND",
        )
    filled: dict[str, Any] = {}
    for kind, tabs in template_tabs.items():
        filled[kind] = []
        for tab in tabs or []:
            sent = values.get((kind, _label(tab, kind)))
            filled[kind].append(_filled(kind, tab, sent, role) if sent else dict(tab))
    return filled


def _filled(kind: str, tab: dict[str, Any], sent: dict[str, Any], role: str) -> dict[str, Any]:
    label = _label(tab, kind)
    if kind == "checkboxTabs":
        selected = str(sent.get("selected", "false")).lower()
        if selected not in BOOLEANS:
            raise _invalid(f"Role '{role}', checkbox '{label}': selected must be true or false.")
        return {**tab, "selected": selected}
    if kind == "listTabs":
        return _list(tab, sent, f"Role '{role}', list '{label}'")
    if kind == "radioGroupTabs":
        return _radio_group(tab, sent, f"Role '{role}', radio group '{label}'")
    if kind == "numberTabs":
        value = str(sent.get("value", ""))
        try:
            float(value.replace(",", ""))
        except ValueError:
            raise _invalid(
                f"Role '{role}', number '{label}': '{value}' is not a number.", "INVALID_TAB_VALUE"
            ) from None
    return {**tab, "value": str(sent.get("value", ""))}


def _list(tab: dict[str, Any], sent: dict[str, Any], what: str) -> dict[str, Any]:
    items = [dict(i) for i in tab.get("listItems") or []]
    wanted = sent.get("value")
    for item in sent.get("listItems") or []:  # or the item marked selected
        if str(item.get("selected", "")).lower() == "true":
            wanted = item.get("value")
    choices = [str(i.get("value")) for i in items]
    if wanted is not None and str(wanted) not in choices:
        raise _invalid(
            f"{what}: '{wanted}' is not one of its items ({', '.join(choices)}).",
            "INVALID_TAB_VALUE",
        )
    for item in items:
        item["selected"] = "true" if str(item.get("value")) == str(wanted) else "false"
    return {**tab, "value": str(wanted or ""), "listItems": items}


def _radio_group(tab: dict[str, Any], sent: dict[str, Any], what: str) -> dict[str, Any]:
    radios = [dict(r) for r in tab.get("radios") or []]
    choices = [str(r.get("value")) for r in radios]
    chosen = [
        str(r.get("value"))
        for r in sent.get("radios") or []
        if str(r.get("selected", "")).lower() == "true"
    ]
    if len(chosen) > 1:
        raise _invalid(f"{what}: only one radio can be selected.", "INVALID_TAB_VALUE")
    for value in chosen:
        if value not in choices:
            raise _invalid(
                f"{what}: '{value}' is not one of its values ({', '.join(choices)}).",
                "INVALID_TAB_VALUE",
            )
    for radio in radios:
        radio["selected"] = "true" if chosen and str(radio.get("value")) == chosen[0] else "false"
    return {**tab, "radios": radios}


def with_tab_ids(tabs: dict[str, Any]) -> dict[str, Any]:
    """A document's tabs as an envelope holds them: every tab with its own tabId."""
    out: dict[str, Any] = {}
    for name, value in tabs.items():
        if isinstance(value, dict):
            out[name] = with_tab_ids(value)
        elif isinstance(value, list):
            out[name] = [{**t, "tabId": str(uuid.uuid4())} for t in value if isinstance(t, dict)]
    return out


def update_prefill(current: dict[str, Any], body: Any) -> dict[str, Any]:
    """PUT document tabs: values of existing prefill tabs, matched by tabId."""
    if not isinstance(body, dict):
        raise _invalid("The body must be a tabs object.")
    prefill = {k: list(v or []) for k, v in (current.get("prefillTabs") or {}).items()}
    by_id = {
        str(t.get("tabId")): (kind, i)
        for kind, tabs in prefill.items()
        for i, t in enumerate(tabs or [])
    }
    for kind, tabs in (body.get("prefillTabs") or {}).items():
        for sent in tabs or []:
            where = by_id.get(str(sent.get("tabId")))
            if where is None or where[0] != kind:
                raise ApiError(
                    "INVALID_TAB_OPERATION",
                    f"No {kind} prefill tab with tabId '{sent.get('tabId')}' on this document.",
                )
            prefill[kind][where[1]] = _filled(kind, prefill[kind][where[1]], sent, "sender")
    return {**current, "prefillTabs": prefill}


def shown_values(tabs: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) for every filled tab, the way a signer sees it."""
    shown: list[tuple[str, str]] = []
    for kind, items in tabs.items():
        if kind == "prefillTabs" and isinstance(items, dict):
            shown += shown_values(items)
            continue
        for tab in items if isinstance(items, list) else []:
            value = display_value(kind, tab)
            if value:
                shown.append((_label(tab, kind), value))
    return shown


def display_value(kind: str, tab: dict[str, Any]) -> str:
    if kind == "checkboxTabs":
        return "[x]" if str(tab.get("selected")).lower() == "true" else ""
    if kind == "radioGroupTabs":
        return next(
            (
                str(r.get("value"))
                for r in tab.get("radios") or []
                if str(r.get("selected")).lower() == "true"
            ),
            "",
        )
    return str(tab.get("value") or "")
