"""The shape of the code: dependencies run one way, and a search filter is added in one declaration."""

from __future__ import annotations

import ast
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db.models import Exists, OuterRef
from django.http import QueryDict

from directory.models import Office, Provider, ProviderQuerySet
from directory.search import facet_index, rules
from directory.search.filters import ProviderFilter
from directory.search.results import SearchResults

APPS = ("config", "directory", "guides", "finder", "openreferral", "listings", "shortlist")
ROOT = Path(settings.BASE_DIR)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for app in APPS for path in (ROOT / app).rglob("*.py") if "migrations" not in path.parts
    }


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules a module imports, at its top or inside a function."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        found |= {target for target in targets if target in known and target != name}
    return found


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {name: imports_of(name, path, set(modules)) for name, path in modules.items()}


def cycle_in(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(name: str) -> list[str] | None:
        state[name] = 1
        stack.append(name)
        for target in sorted(graph.get(name, ())):
            if state.get(target) == 1:
                return stack[stack.index(target):] + [target]
            if target not in state and (found := visit(target)):
                return found
        stack.pop()
        state[name] = 2
        return None

    for name in sorted(graph):
        if name not in state and (found := visit(name)):
            return found
    return None


def test_no_module_imports_another_that_imports_it_back():
    assert cycle_in(import_graph()) is None


def test_the_walk_finds_a_cycle_where_there_is_one():
    assert cycle_in({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle_in({"a": {"b"}, "b": set()}) is None


def test_dependencies_run_one_way_directory_then_guides_then_finder():
    graph = import_graph()
    assert graph["finder.matching"] >= {"directory.search.rules"}, "the walk reads the project's imports"
    for name, targets in graph.items():
        app = name.split(".")[0]
        if app == "directory":
            assert not {t for t in targets if t.split(".")[0] in ("guides", "finder", "listings", "shortlist")}, name
        if app == "guides":
            assert not {t for t in targets if t.split(".")[0] in ("finder", "shortlist")}, name
        if app == "finder":
            assert not {t for t in targets if t.split(".")[0] == "shortlist"}, name
    assert not {t for t in graph["directory.models"] if t.startswith("directory.search")}


# --- A filter added the way a contributor would: one Rule and one QuerySet method ----------


def wheelchair_accessible(self: ProviderQuerySet, required: bool = True) -> ProviderQuerySet:
    """Has an office with wheelchair access."""
    offices = Office.objects.filter(provider=OuterRef("pk"), wheelchair_accessible=True)
    return self.filter(Exists(offices)) if required else self


@pytest.fixture
def wheelchair_filter(monkeypatch):
    """A yes/no filter with no bitmap rule: the facet index knows nothing of it."""
    monkeypatch.setattr(ProviderQuerySet, "wheelchair_accessible", wheelchair_accessible, raising=False)
    rule = rules.yes_rule("wheelchair", "Wheelchair access", lambda qs, yes, c: qs.wheelchair_accessible(yes))
    monkeypatch.setattr(rules, "RULES", (*rules.RULES, rule))
    monkeypatch.setattr(rules, "RULE", {**rules.RULE, "wheelchair": rule})
    monkeypatch.setattr(ProviderFilter, "base_filters", ProviderFilter.get_filters())


def search(query: str) -> SearchResults:
    filterset = ProviderFilter(QueryDict(query), queryset=Provider.objects.published())
    assert filterset.is_valid(), filterset.errors
    return SearchResults(filterset)


@pytest.mark.django_db
def test_a_filter_without_a_bitmap_rule_gives_the_right_count_rows_and_text_search(
    client, make_provider, wheelchair_filter
):
    austin = {"city": "Austin", "jurisdiction": "TX", "postal_code": "78701"}
    make_provider("Ana Díaz", offices=[{**austin, "wheelchair_accessible": True}], bio="Grief and loss.")
    make_provider("Ben Roe", offices=[{**austin, "wheelchair_accessible": True}], bio="Anxiety.")
    make_provider("Cleo Park", offices=[austin], bio="Grief work.")
    make_provider("Dan Lee", bio="Grief, by video.", standard_fee=Decimal("200"))

    def names(results: SearchResults) -> list[str]:
        return [provider.name for provider in results.page()]

    everyone = search("")
    assert everyone.total == 4
    assert everyone.counts["features"]["wheelchair"] == 2
    assert everyone.facets()["features"]["wheelchair"]["count"] == 2

    wheelchair = search("wheelchair=true")
    assert (wheelchair.total, names(wheelchair)) == (2, ["Ana Díaz", "Ben Roe"])
    assert wheelchair.counts["facets"]["state"] == {"TX": 2}
    assert {chip["label"] for chip in wheelchair.chips()} == {"Wheelchair access"}

    with_text = search("wheelchair=true&q=grief")
    assert (with_text.total, names(with_text)) == (1, ["Ana Díaz"])
    assert search("wheelchair=false&q=grief").total == 3
    assert not ProviderFilter(QueryDict("wheelchair=maybe"), queryset=Provider.objects.published()).is_valid()
    assert facet_index.current().published == everyone.hits

    page = client.get("/providers/", {"q": "grief"}).content.decode()
    assert 'name="wheelchair"' in page, "the new filter has its checkbox on the search page"
    assert api_names(client, {"wheelchair": "true", "q": "grief"}) == ["Ana Díaz"]


def api_names(client, params: dict) -> list[str]:
    response = client.get("/api/providers/", params)
    assert response.status_code == 200
    return [result["name"] for result in response.json()["results"]]
