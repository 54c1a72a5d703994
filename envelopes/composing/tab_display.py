"""Tab values as people read them: a template's fill table, and the values a recipient
filled in (checkboxes, radio groups and lists as DocuSign returns them)."""

from typing import Any

from envelopes.composing.template_tabs import TemplateInput, tab_label


def shown_value(tab: dict[str, Any]) -> str:
    """A tab about to be sent, as the recipient will see it filled in."""
    if "selected" in tab:
        return "ticked" if tab["selected"] == "true" else "not ticked"
    if "radios" in tab:
        return str(tab["radios"][0]["value"])
    if "listItems" in tab:
        chosen = [i["text"] for i in tab["listItems"] if i["selected"] == "true"]
        return chosen[0] if chosen else ""
    return str(tab.get("value", ""))


def filled_value(collection: str, tab: dict[str, Any]) -> str:
    """A tab as DocuSign returns it after signing, read as the recipient left it: a checkbox
    by `selected`, a radio group by its selected radio, a list by its selected item."""
    if collection == "checkboxTabs":
        return "ticked" if str(tab.get("selected", "")).lower() == "true" else "not ticked"
    if collection == "radioGroupTabs":
        chosen = [
            str(r.get("value", ""))
            for r in tab.get("radios") or []
            if isinstance(r, dict) and str(r.get("selected", "")).lower() == "true"
        ]
        return chosen[0] if chosen else ""
    if collection == "listTabs" and tab.get("listItems"):
        chosen = [
            str(i.get("text") or i.get("value") or "")
            for i in tab.get("listItems") or []
            if isinstance(i, dict) and str(i.get("selected", "")).lower() == "true"
        ]
        return chosen[0] if chosen else str(tab.get("value", ""))
    return str(tab.get("value", ""))


def filled_values(tabs: dict[str, Any]) -> dict[str, str]:
    """A recipient's tabs (GET …/recipients/{id}/tabs) as label → what was filled in; a radio
    group is labelled by its `groupName`."""
    return {
        tab_label(collection, tab): filled_value(collection, tab)
        for collection, items in tabs.items()
        if isinstance(items, list)
        for tab in items
        if isinstance(tab, dict) and tab_label(collection, tab)
    }


def values_to_fill(given: TemplateInput) -> list[tuple[str, str, str]]:
    """(who, field, value) for every value about to be filled in."""
    rows = [
        (role, tab_label(collection, tab), shown_value(tab))
        for role, collections in given.role_tabs.items()
        for collection, tabs in collections.items()
        for tab in tabs
    ]
    rows += [
        ("You (the sender)", tab_label(collection, tab), shown_value(tab))
        for collections in given.sender_tabs.values()
        for collection, tabs in collections.items()
        for tab in tabs
    ]
    return rows
