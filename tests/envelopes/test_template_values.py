"""Checking a value typed for each kind of template tab, without DocuSign."""

import pytest
from django.core.exceptions import ValidationError

from envelopes.composing.template_tabs import TabField, clean_value, parse_template


def tab(kind, collection, label="field", **extra):
    return TabField(role="Customer", collection=collection, label=label, kind=kind, **extra)


@pytest.mark.parametrize(
    ("field", "typed", "sent"),
    [
        (tab("text", "textTabs"), " Acme ", {"tabLabel": "field", "value": "Acme"}),
        (tab("text", "textTabs"), "", None),  # left for the recipient
        (tab("number", "numberTabs"), "1,250.50", {"tabLabel": "field", "value": "1250.50"}),
        (tab("date", "dateTabs"), "2027-03-01", {"tabLabel": "field", "value": "03/01/2027"}),
        (tab("date", "dateTabs"), "03/01/2027", {"tabLabel": "field", "value": "03/01/2027"}),
        (tab("email", "emailTabs"), "a@b.example", {"tabLabel": "field", "value": "a@b.example"}),
        (tab("checkbox", "checkboxTabs"), "on", {"tabLabel": "field", "selected": "true"}),
        (tab("checkbox", "checkboxTabs"), "", None),
        (
            tab("radio", "radioGroupTabs", choices=(("a", "a"), ("b", "b"))),
            "b",
            {"groupName": "field", "radios": [{"value": "b", "selected": "true"}]},
        ),
        (
            tab("list", "listTabs", choices=(("s", "Small"), ("l", "Large"))),
            "l",
            {
                "tabLabel": "field",
                "value": "l",
                "listItems": [
                    {"text": "Small", "value": "s", "selected": "false"},
                    {"text": "Large", "value": "l", "selected": "true"},
                ],
            },
        ),
    ],
)
def test_each_kind_is_sent_the_way_docusign_expects(field, typed, sent):
    assert clean_value(field, typed) == sent


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        (tab("number", "numberTabs"), "NaN", "'NaN' is not a number"),
        (tab("number", "numberTabs"), "12abc", "'12abc' is not a number"),
        (tab("date", "dateTabs"), "2027-02-30", "'2027-02-30' is not a date"),
        (tab("email", "emailTabs"), "nobody", "'nobody' is not an email address"),
        (tab("checkbox", "checkboxTabs"), "maybe", "tick the box or leave it empty"),
        (tab("list", "listTabs", choices=(("s", "Small"),)), "x", "not one of its choices (Small)"),
        (tab("text", "textTabs", max_length=3), "abcd", "at most 3 characters (this has 4)"),
    ],
)
def test_a_bad_value_says_what_is_wrong(field, typed, message):
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        clean_value(field, typed)


def test_locked_tabs_and_unlabelled_ones_are_not_offered():
    fields = parse_template(
        {
            "templateId": "t",
            "lastModified": "v1",
            "recipients": {
                "signers": [
                    {
                        "roleName": "Customer",
                        "routingOrder": "1",
                        "tabs": {
                            "textTabs": [
                                {"tabLabel": "open"},
                                {"tabLabel": "fixed", "locked": "true"},
                                {"value": "no label"},
                            ],
                            "signHereTabs": [{"tabLabel": "sig"}],
                        },
                    }
                ]
            },
        },
        {},
    )
    assert [f.label for f in fields.all_fields()] == ["open"]


def test_filled_values_read_checkboxes_radios_and_lists_as_docusign_returns_them():
    from envelopes.composing.tab_display import filled_values

    answer = {  # GET …/recipients/{id}/tabs, in DocuSign's shapes
        "checkboxTabs": [
            {"tabLabel": "premium", "selected": "true"},
            {"tabLabel": "newsletter", "selected": "false"},
        ],
        "radioGroupTabs": [
            {
                "groupName": "billing",
                "radios": [
                    {"value": "monthly", "selected": "false"},
                    {"value": "yearly", "selected": "true"},
                ],
            },
            {"groupName": "contact", "radios": [{"value": "phone", "selected": "false"}]},
        ],
        "listTabs": [
            {
                "tabLabel": "plan",
                "value": "Business",
                "listItems": [
                    {"text": "Starter", "value": "starter", "selected": "false"},
                    {"text": "Business", "value": "business", "selected": "true"},
                ],
            }
        ],
        "textTabs": [{"tabLabel": "customer", "value": "Cleo Ltd"}],
    }
    assert filled_values(answer) == {
        "premium": "ticked",
        "newsletter": "not ticked",
        "billing": "yearly",
        "contact": "",
        "plan": "Business",
        "customer": "Cleo Ltd",
    }
