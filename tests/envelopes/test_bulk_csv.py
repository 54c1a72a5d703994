"""Every row of a bulk send's CSV checked before sending, each problem named."""

from envelopes.bulk import rows as bulk_csv

LAYOUT = bulk_csv.Layout(
    roles=(bulk_csv.Role("Signer", "1", 1, ("title",)),),
    fields=(bulk_csv.Field("start", is_date=True),),
)
HEADER = "Signer::Name,Signer::Email,Signer::title,start\n"


def problems(text, **kwargs):
    return [str(e) for e in bulk_csv.parse(text, LAYOUT, **kwargs).errors]


def test_good_rows_parse_with_their_values():
    parsed = bulk_csv.parse(HEADER + "Ann,ann@example.com,CEO,2026-01-02\n", LAYOUT)
    assert parsed.ok
    row = parsed.rows[0]
    assert (row.number, row.people["Signer"].email, row.people["Signer"].tabs) == (
        2,
        "ann@example.com",
        {"title": "CEO"},
    )
    assert row.values == {"start": "2026-01-02"}


def test_each_bad_row_is_named_with_its_column():
    text = HEADER + "Ann,ann@example.com,CEO,2026-01-02\nBob,bob-at-x,CTO,02/01/2026\n,c@x.io,,\n"
    assert problems(text) == [
        "Row 3, column Signer::Email: 'bob-at-x' is not an email address.",
        "Row 3, column start: '02/01/2026' is not a date in the form YYYY-MM-DD.",
        "Row 4, column Signer::Name: The name is empty.",
        "Row 4, column start: Required, but empty.",
    ]


def test_a_missing_column_and_an_unknown_role_are_named_in_the_header():
    text = "Signer::Name,Witness::Email,start\nAnn,ann@example.com,2026-01-02\n"
    found = problems(text)
    assert any("Witness::Email" in p and "Unknown role 'Witness'" in p for p in found)
    assert "Row 1, column Signer::Email: This column is missing; add it to the header." in found


def test_malformed_csv_and_ragged_rows():
    assert "not a readable CSV" in problems(HEADER + 'Ann,"ann@example.com\n')[0]
    assert "Has 2 cells" in problems(HEADER + "Ann,ann@example.com\n")[0]


def test_over_docusigns_per_list_limit():
    rows = "".join(f"P{i},p{i}@example.com,x,2026-01-02\n" for i in range(4))
    assert "DocuSign sends at most 3" in problems(HEADER + rows, max_rows=3)[0]


def test_the_example_csv_passes_its_own_checks():
    assert bulk_csv.parse(bulk_csv.example_csv(LAYOUT), LAYOUT).ok
