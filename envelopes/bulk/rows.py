"""A bulk send's CSV: which columns it needs, an example, and every row checked before sending.

Columns: `Role::Name` and `Role::Email` for each role, `Role::Label` for a template role's
text field, and a generated document's field names as they are. Row numbers are the CSV's
line numbers (the header is row 1), as a spreadsheet shows them.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

MAX_ROWS = 1000  # DocuSign's copies per bulk send list (default account setting)
MAX_BYTES = 2 * 1024 * 1024
DATE_FORMAT = "YYYY-MM-DD"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Role:
    name: str
    recipient_id: str
    routing_order: int = 1
    tab_labels: tuple[str, ...] = ()
    kind: str = "signer"  # a Recipient.Kind: the template's recipient type decides it


@dataclass(frozen=True)
class Field:
    name: str
    label: str = ""
    required: bool = True
    is_date: bool = False


@dataclass(frozen=True)
class Layout:
    """What a bulk send's CSV must hold: its roles and the generated document's fields."""

    roles: tuple[Role, ...]
    fields: tuple[Field, ...] = ()

    def columns(self) -> list[str]:
        names: list[str] = []
        for role in self.roles:
            names += [f"{role.name}::Name", f"{role.name}::Email"]
            names += [f"{role.name}::{label}" for label in role.tab_labels]
        return names + [f.name for f in self.fields]

    def required_columns(self) -> list[str]:
        names = [c for r in self.roles for c in (f"{r.name}::Name", f"{r.name}::Email")]
        return names + [f.name for f in self.fields if f.required]


@dataclass(frozen=True)
class RowError:
    row: int  # the CSV's line number; 1 is the header, 0 the file as a whole
    column: str
    message: str

    def __str__(self) -> str:
        where = f"Row {self.row}" if self.row else "The file"
        return (
            f"{where}, column {self.column}: {self.message}"
            if self.column
            else (f"{where}: {self.message}")
        )


@dataclass
class Person:
    name: str
    email: str
    tabs: dict[str, str] = field(default_factory=dict)


@dataclass
class Row:
    number: int
    people: dict[str, Person]  # by role name
    values: dict[str, str]  # the generated document's fields


@dataclass
class Parsed:
    rows: list[Row]
    errors: list[RowError]

    @property
    def ok(self) -> bool:
        return not self.errors


def example_csv(layout: Layout, *, rows: int = 2) -> str:
    """A CSV with the layout's header and made-up rows that pass the checks."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(layout.columns())
    for n in range(1, rows + 1):
        line = []
        for role in layout.roles:
            slug = re.sub(r"[^a-z0-9]+", "", role.name.lower()) or "person"
            line += [f"{role.name} Person {n}", f"{slug}{n}@example.com"]
            line += [f"{label} {n}" for label in role.tab_labels]
        line += [
            f"2026-01-{1 + n % 28:02d}" if f.is_date else f"{f.label or f.name} {n}"
            for f in layout.fields
        ]
        writer.writerow(line)
    return out.getvalue()


def parse(text: str, layout: Layout, *, max_rows: int = MAX_ROWS) -> Parsed:
    """Every row read and checked; `errors` names each problem (row, column, what is wrong)."""
    if len(text.encode()) > MAX_BYTES:
        return Parsed([], [RowError(0, "", f"The CSV is over {MAX_BYTES // 1024 // 1024} MB.")])
    text = text.lstrip("\ufeff")  # a spreadsheet's byte order mark
    try:
        lines = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        return Parsed([], [RowError(0, "", f"This is not a readable CSV file: {exc}.")])
    lines = [line for line in lines if any(cell.strip() for cell in line)]
    if not lines:
        return Parsed([], [RowError(0, "", "The CSV is empty: it needs a header row.")])
    header = [cell.strip() for cell in lines[0]]
    errors = _check_header(header, layout)
    data = lines[1:]
    if not data:
        errors.append(RowError(0, "", "The CSV has a header but no rows of recipients."))
    if len(data) > max_rows:
        errors.append(
            RowError(
                0,
                "",
                f"The CSV has {len(data)} rows; DocuSign sends at most {max_rows} envelopes in "
                "one bulk send. Split it into several files.",
            )
        )
    if errors:
        return Parsed([], errors)
    rows = [_row(n, header, cells, layout, errors) for n, cells in enumerate(data, start=2)]
    return Parsed([r for r in rows if r is not None], errors)


def _check_header(header: list[str], layout: Layout) -> list[RowError]:
    errors = []
    roles = {r.name: r for r in layout.roles}
    known = set(layout.columns())
    seen: set[str] = set()
    for column in header:
        if column in seen:
            errors.append(RowError(1, column, "This column appears twice."))
        seen.add(column)
        if column in known:
            continue
        role, sep, _ = column.partition("::")
        if sep and role not in roles:
            errors.append(
                RowError(
                    1,
                    column,
                    f"Unknown role '{role}'. The roles are: {', '.join(roles) or 'none'}.",
                )
            )
        else:
            errors.append(
                RowError(1, column, f"Unknown column. Expected: {', '.join(layout.columns())}.")
            )
    for column in layout.required_columns():
        if column not in seen:
            errors.append(RowError(1, column, "This column is missing; add it to the header."))
    return errors


def _row(
    number: int, header: list[str], cells: list[str], layout: Layout, errors: list[RowError]
) -> Row | None:
    if len(cells) != len(header):
        errors.append(
            RowError(
                number,
                "",
                f"Has {len(cells)} cells, but the header has {len(header)} columns (a missing "
                "or extra comma?).",
            )
        )
        return None
    value = {column: cell.strip() for column, cell in zip(header, cells, strict=True)}
    before = len(errors)
    people = {}
    for role in layout.roles:
        name, email = value.get(f"{role.name}::Name", ""), value.get(f"{role.name}::Email", "")
        if not name:
            errors.append(RowError(number, f"{role.name}::Name", "The name is empty."))
        elif len(name) > 100:
            errors.append(RowError(number, f"{role.name}::Name", "Over 100 characters."))
        if not email:
            errors.append(RowError(number, f"{role.name}::Email", "The email is empty."))
        else:
            try:
                validate_email(email)
            except ValidationError:
                errors.append(
                    RowError(number, f"{role.name}::Email", f"'{email}' is not an email address.")
                )
        tabs = {
            label: value[f"{role.name}::{label}"]
            for label in role.tab_labels
            if f"{role.name}::{label}" in value
        }
        people[role.name] = Person(name=name, email=email, tabs=tabs)
    values = {}
    for item in layout.fields:
        cell = value.get(item.name, "")
        if not cell and item.required:
            errors.append(RowError(number, item.name, "Required, but empty."))
        elif cell and item.is_date and not _is_date(cell):
            errors.append(
                RowError(number, item.name, f"'{cell}' is not a date in the form {DATE_FORMAT}.")
            )
        values[item.name] = cell
    return Row(number, people, values) if len(errors) == before else None


def _is_date(text: str) -> bool:
    if not _DATE.match(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True
