"""The README is a short front door and the docs/ pages it leads to stay whole: every relative
link (and its #anchor) resolves, every page is linked from the README, and the figures and
commands other tests rely on are where the docs say they are."""

import ast
import re
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
README_MAX_LINES = 220
TOC_FROM_LINES = 150  # a page longer than this starts with a table of contents

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")


def pages() -> list[Path]:
    return [README, *sorted(DOCS.glob("*.md"))]


def without_code(text: str) -> str:
    """The text outside fenced blocks and inline code, where a link is really a link."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)
    return re.sub(r"`[^`\n]*`", "", text)


def links(page: Path) -> list[str]:
    return LINK.findall(without_code(page.read_text()))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: its text, lower case, punctuation dropped, spaces to -."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading: its text
    text = text.replace("`", "").replace("*", "").lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    seen: dict[str, int] = {}
    found = set()
    text = re.sub(r"^```.*?^```", "", page.read_text(), flags=re.M | re.S)
    for line in text.splitlines():
        if match := HEADING.match(line):
            base = slug(match.group(2))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    return found


def relative(target: str) -> bool:
    return not re.match(r"^[a-z][a-z0-9+.-]*:", target)  # not http:, https:, mailto:, …


@pytest.mark.parametrize("page", pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_points_at_a_file_and_heading_that_exist(page):
    broken = []
    for target in filter(relative, links(page)):
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(f"{target}: no file {file.relative_to(ROOT)}")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            broken.append(f"{target}: no heading #{anchor} in {file.relative_to(ROOT)}")
    assert not broken, f"{page.relative_to(ROOT)} has broken links:\n" + "\n".join(broken)


def test_every_docs_page_is_linked_from_the_readme():
    linked = {
        (ROOT / target.partition("#")[0]).resolve()
        for target in filter(relative, links(README))
        if target.partition("#")[0]
    }
    unlinked = [p.name for p in sorted(DOCS.glob("*.md")) if p.resolve() not in linked]
    assert list(DOCS.glob("*.md")), "docs/ has no pages"
    assert not unlinked, f"docs pages the README does not link to: {unlinked}"


def test_the_readme_stays_a_short_front_door():
    lines = len(README.read_text().splitlines())
    assert lines < README_MAX_LINES, (
        f"README.md has {lines} lines; keep it under {README_MAX_LINES}: move detail to a "
        "docs/ page and link to it from 'Where to go next'."
    )


@pytest.mark.parametrize("page", sorted(DOCS.glob("*.md")), ids=lambda p: p.name)
def test_each_docs_page_says_what_it_covers_and_long_ones_have_contents(page):
    lines = page.read_text().splitlines()
    assert lines[0].startswith("# "), f"{page.name} starts with its title"
    what = f"{page.name}: the title is followed by one line saying what the page covers"
    assert lines[1] == "", what
    assert lines[2], what
    assert not lines[2].startswith(("#", "-", "|", "`")), what
    if len(lines) > TOC_FROM_LINES:
        first_section = next(i for i, line in enumerate(lines) if line.startswith("## "))
        in_page = [line for line in lines[:first_section] if re.match(r"^\s*- \[.+\]\(#", line)]
        assert len(in_page) >= 2, f"{page.name} is long: list its sections before the first"


def test_the_readme_keeps_the_commands_test_make_run_runs_as_written():
    readme = README.read_text()
    for command in (
        "make run",
        "make test",
        "make run PORT=8001",
        "make run RESET_PASSWORD=1",
        '.venv/bin/python manage.py docusign_check "Local simulator"',
        '.venv/bin/python manage.py docusign_consent_url "Local simulator"',
    ):
        assert command in readme, f"README.md no longer shows `{command}`"
    # The test these commands are run by still runs them.
    run = (ROOT / "tests" / "test_make_run.py").read_text()
    assert 'checkout.manage("docusign_check", "Local simulator")' in run
    assert 'checkout.manage("docusign_consent_url", "Local simulator")' in run
    assert 'RESET_PASSWORD="1"' in run


def test_the_setup_click_counts_in_the_docs_are_the_ones_the_browser_test_asserts():
    wizard = (ROOT / "tests" / "browser" / "test_setup_wizard.py").read_text()
    counts = r"\(act\.count, act\.fields, act\.copied\) == \((\d+), (\d+), (\d+)\)"
    match = re.search(counts, wizard)
    assert match, "tests/browser/test_setup_wizard.py no longer asserts the click counts"
    clicks, fields, copied = match.groups()
    text = re.sub(r"\s+", " ", (DOCS / "connections.md").read_text())
    assert f"**{clicks} clicks**" in text
    assert f"**types or pastes {fields} fields**" in text
    assert f"**copies {copied} values by hand**" in text


def test_every_variable_the_settings_read_is_in_the_configuration_page():
    documented = (DOCS / "configuration.md").read_text()
    read = set()
    for module in (
        "config/settings.py",
        "config/environment.py",
        "config/database.py",
        "config/gunicorn.py",
    ):
        source = (ROOT / module).read_text()
        read |= set(
            re.findall(
                r"\b(?:env(?:\.\w+)?|os\.environ\.get|required_in_production)\(\s*[\"']([A-Z][A-Z0-9_]+)[\"']",
                source,
            )
        )
    assert len(read) > 30, "the settings are no longer read the way this test looks for them"
    missing = sorted(name for name in read if f"`{name}`" not in documented)
    assert not missing, f"read by the settings but not in docs/configuration.md: {missing}"


# --- docs/architecture.md against the code --------------------------------------------------

ARCHITECTURE = DOCS / "architecture.md"
APPS = ("accounts", "common", "config", "connections", "envelopes", "ops", "simulator")
TOP_LEVEL = {*APPS, "benchmarks", "scripts", "templates", "static", "deploy", "docs", "tests"}


def architecture_items() -> list[str]:
    """The page's paragraphs and list items, each on one line (a bare `name.py` in an item is
    a module of the package the item names first)."""
    text = re.sub(r"^```.*?^```", "", ARCHITECTURE.read_text(), flags=re.M | re.S)
    items: list[str] = []
    for line in text.splitlines():
        if line.startswith(("- ", "**", "#")) or not line.strip() or not items:
            items.append(line)
        else:
            items[-1] += " " + line.strip()
    return items


def defined_names(module: Path) -> set[str]:
    names = set()
    for node in ast.parse(module.read_text()).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names


def dotted_exists(name: str) -> bool:
    """`a.b.c` is a module or package, or a name defined at the top of one."""
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        base = ROOT.joinpath(*parts[:cut])
        module = base / "__init__.py" if base.is_dir() else base.with_suffix(".py")
        if module.exists():
            rest = parts[cut:]
            return not rest or (len(rest) == 1 and rest[0] in defined_names(module))
    return False


def missing_paths(items: list[str]) -> list[str]:
    missing = []
    for item in items:
        package = None
        for code in re.findall(r"`([^`\s]+)`", item):
            if re.fullmatch(r"\w+\.py", code):  # a module of the item's package, or at the root
                if not (ROOT / (package or "") / code).exists():
                    missing.append(f"{code} (in {package or 'the root'})")
            elif re.fullmatch(r"[a-z_]+(\.[A-Za-z_]+)+", code) and code.split(".")[0] in APPS:
                if not dotted_exists(code):
                    missing.append(code)
            elif "/" in code and code.split("/")[0] in TOP_LEVEL:
                if not (ROOT / code).exists():
                    missing.append(code)
                if code.endswith("/"):
                    package = package or code
    return missing


def test_every_module_path_on_the_architecture_page_exists():
    assert missing_paths(architecture_items()) == []


def test_the_architecture_path_check_finds_what_is_gone():
    items = [
        "- `envelopes/tracking/` — `drain.py`, `gone.py`",
        "- `envelopes/services.py`, `envelopes.composing.prepare.prepare_envelope`",
        "- `envelopes.composing.prepare.no_such_function`, `make lint`, `manage.py`, `nope.py`",
    ]
    assert missing_paths(items) == [
        "gone.py (in envelopes/tracking/)",
        "envelopes/services.py",
        "envelopes.composing.prepare.no_such_function",
        "nope.py (in the root)",
    ]


def test_every_package_is_on_the_architecture_page():
    named = set(re.findall(r"`([^`\s]+/)`", ARCHITECTURE.read_text()))
    packages = {
        f"{init.parent.relative_to(ROOT)}/"
        for app in APPS
        for init in (ROOT / app).rglob("__init__.py")
        if "migrations" not in init.parts and init.parent.name != "commands"
    }
    assert sorted(packages - named) == []


def test_the_architecture_diagram_draws_the_imports_between_apps():
    diagram = re.search(r"```mermaid\n(.*?)```", ARCHITECTURE.read_text(), re.S)
    assert diagram, "docs/architecture.md has lost its mermaid diagram"
    drawn = {
        (a, b)
        for a, b in re.findall(r"^\s*(\w+) --> (\w+)\s*$", diagram.group(1), re.M)
        if a in APPS and b in APPS
    }
    graph = grimp.build_graph(*APPS, cache_dir=None)
    imported = {
        (importer.split(".")[0], imported.split(".")[0])
        for importer in graph.modules
        for imported in graph.find_modules_directly_imported_by(importer)
        if importer.split(".")[0] != imported.split(".")[0]
    }
    assert drawn == imported
