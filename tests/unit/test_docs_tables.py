"""The READMEs' other tables held to what they describe: the storage layout to the names the code uses, the
benchmark figures to the results files the benchmarks wrote, the infra tables to the Bicep templates. Editing a
table without the change it describes (or the change without the table) fails here."""

from __future__ import annotations

import re
from pathlib import Path

from function_app.config import load_settings
from function_app.entrypoints.claims import FILES_QUEUE
from function_app.entrypoints.delivery import JOBS_QUEUE
from tests.unit.test_readme import README, table_rows

ROOT = Path(__file__).resolve().parents[2]
INFRA_README = (ROOT / "infra" / "README.md").read_text(encoding="utf-8")


def between(text: str, start: str, end: str) -> str:
    return text.split(start, 1)[1].split(end, 1)[0]


def body_rows(text: str, header: str) -> list[list[str]]:
    """The body rows of the table whose header line starts with `header`."""
    return table_rows(header + between(text, header, "\n\n"))[1:]


def test_the_storage_layout_names_every_table_container_and_queue() -> None:
    settings = load_settings({})
    rows = table_rows(between(README, "### Storage layout", "\n## "))
    documented = {tuple(re.fullmatch(r"(table|container|queue) `([^`]+)`", row[0]).groups())  # type: ignore[union-attr]
                  for row in rows[1:]}
    named = [name for name in dir(type(settings)) if name.endswith(("_table", "_container"))]  # every one there is
    used = {
        *((name.rsplit("_", 1)[1], getattr(settings, name)) for name in named),
        ("container", "partner-<id>"), ("queue", JOBS_QUEUE), ("queue", FILES_QUEUE),
    }
    assert documented == used


NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def figures(cells: list[str]) -> list[str]:
    """The exact figures of the cells; a figure the README rounds (`~563,000`) is left to its prose."""
    return [match for cell in cells for match in NUMBER.findall(re.sub(r"~[\d,.]+", "", cell))]


def test_every_benchmark_figure_in_the_readme_is_in_its_results_file() -> None:
    tables = {"realtime": ("| path | events/s", "(c)/(a)"), "latency": ("| load | offered events/s", "At 50 % load"),
              "delivery": ("| facts | floor s", "Client CPU per fact, real against"),
              "claims": ("| rows | writes floor rows/s", "The service with storage in memory, the code before"),
              "claims-service": ("| code | rows/s (median", "New / old"),
              "api": ("| path | p50 ms", "Quote p99 / read p99")}
    for name, (start, end) in tables.items():
        results = (ROOT / "bench" / "results" / f"{name}.md").read_text(encoding="utf-8")
        rows = table_rows(start + between(README, start, end))[1:]
        assert rows, name
        for row in rows:
            for figure in figures(row[1:]):
                assert figure in results, f"README's {name} figure {figure} is not in bench/results/{name}.md"


def test_the_infra_module_table_lists_every_template_of_app() -> None:
    documented = {row[0].strip("`") for row in body_rows(INFRA_README, "| module |")}
    on_disk = {f"app/{path.name}" for path in (ROOT / "infra" / "app").glob("*.bicep")}
    assert documented - {"main.bicep"} == on_disk


def test_the_alert_table_is_the_alert_rules_of_the_template() -> None:
    documented = {row[0] for row in body_rows(INFRA_README, "| rule | fires when |")}
    template = (ROOT / "infra" / "app" / "alerts.bicep").read_text(encoding="utf-8")
    assert documented == set(re.findall(r"displayName: '([^']+)'", template))


def test_the_role_tables_are_the_roles_the_templates_assign() -> None:
    def spelled(variable: str) -> str:
        return " ".join(re.findall(r"[A-Z]?[a-z]+", variable[0].upper() + variable[1:]))

    documented = {row[0].removeprefix("Azure ") for row in table_rows(
        between(INFRA_README, "## Roles, and why each", "\n## "))[1:] if row[0] != "role"}
    assigned = {spelled(variable) for path in (ROOT / "infra" / "app").glob("*.bicep")
                for variable in re.findall(r"^var (\w+) = '[0-9a-f-]{36}'", path.read_text(encoding="utf-8"), re.M)}
    assigned |= {name for path in (ROOT / "infra" / "app").glob("*.bicep")  # custom roles, by the name before "("
                 for name in re.findall(r"^\s*roleName: '([^'(]+?) \(", path.read_text(encoding="utf-8"), re.M)}
    assert documented == assigned


def test_the_local_data_table_names_what_git_ignores_or_tracks() -> None:
    """Every path the 'Local data' table says a reset may delete is git-ignored (or, for the partner-file stamp,
    tracked and rewritten by `fnix partners check`): deleting it loses nothing of the repository."""
    import subprocess

    rows = body_rows(README, "| where | what | reset |")
    paths = [path for row in rows for path in re.findall(r"`([^`]+)`", row[0])]
    assert paths
    for path in paths:
        concrete = re.sub(r"<[^>]+>", "x", path)
        ignored = subprocess.run(["git", "check-ignore", "-q", concrete], cwd=ROOT, check=False).returncode == 0
        tracked = subprocess.run(["git", "ls-files", "--error-unmatch", concrete], cwd=ROOT, capture_output=True,
                                 check=False).returncode == 0
        assert ignored or tracked, f"{path}: neither ignored nor tracked"


def test_each_benchmark_table_names_the_paths_the_benchmark_runs() -> None:
    from bench import api, claims, delivery, latency, realtime

    readme = (ROOT / "bench" / "README.md").read_text(encoding="utf-8")
    sections = readme.split("\n## ")[1:]
    for module in (realtime, latency, delivery, claims, api):
        [section] = [s for s in sections if s.startswith(f"`{module.__name__}`")]
        named = [re.sub(r"^\([a-z]\) |[()]", "", row[0]) for row in body_rows(section, "| path | what it does |")]
        assert named == list(module.PATHS), module.__name__


def test_the_deployment_settings_table_states_what_the_files_hold() -> None:
    """Each deployment setting's row quotes its value from the file it names; the files must still say so."""
    rows = {row[0]: row[1] for row in body_rows(INFRA_README, "| setting | where | source |")}
    read = {name: (ROOT / path).read_text(encoding="utf-8") for name, path in [
        ("version", "azure-python-version"), ("functions", "infra/app/functions.bicep"), ("azure", "azure.yaml"),
        ("pyproject", "pyproject.toml")]}
    assert f"(`{read['version'].strip()}`)" in rows["Python version"]
    assert "loadTextContent" in read["functions"] and "alwaysReady" in read["functions"]
    assert "name: 'function:${function}'" in read["functions"]
    for name in ("contract_submissions", "cancellation_requests"):
        assert f"`function:{name}`" in rows["always ready"] and f"'{name}'" in read["functions"]
    assert "azure-monitor-opentelemetry-exporter>=1.0.0b36" in rows["Entra ID ingestion from the app"]
    assert "azure-monitor-opentelemetry-exporter>=1.0.0b36" in read["pyproject"]
    azd = re.search(r"azd: ['\"]?(>= ?[\d.]+)", read["azure"])
    assert azd is not None and f"`{azd.group(1)}`" in rows["`requiredVersions.azd`"]


def test_the_retention_table_is_the_parameters_and_lifecycle_rules_of_the_templates() -> None:
    """Each documented age is a parameter of main.bicep with that default, passed on to the module that uses it
    with the same default there; every lifecycle rule deletes by one of them, and none reaches `evidence`."""
    main = (ROOT / "infra" / "main.bicep").read_text(encoding="utf-8")
    storage = (ROOT / "infra" / "app" / "storage.bicep").read_text(encoding="utf-8")
    functions = (ROOT / "infra" / "app" / "functions.bicep").read_text(encoding="utf-8")
    rows = {row[0].strip("`"): int(row[1]) for row in body_rows(INFRA_README, "| parameter | default (days) |")}
    assert set(rows) == {"deadLetterRetentionDays", "partnerFileRetentionDays", "reportRetentionDays",
                         "retentionDaysAfterCoverage"}
    for name, days in rows.items():
        assert f"param {name} int = {days}\n" in main, name
        module = functions if name == "retentionDaysAfterCoverage" else storage
        assert f"param {name} int = {days}\n" in module and f"    {name}: {name}\n" in main, name
    policy = storage.split("managementPolicies@", 1)[1].split("\nresource ", 1)[0]
    ages = re.findall(r"daysAfterModificationGreaterThan: (\w+)", policy)
    assert sorted(ages) == sorted(set(rows) - {"retentionDaysAfterCoverage"})
    assert "evidence" not in policy
    assert "'${deadLetterContainerName}/'" in policy and "'${reportsContainerName}/'" in policy
    assert "'partner-${id}/outbound/'" in policy
