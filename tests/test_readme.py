"""The README's claims table and commands stay true."""

import re
from pathlib import Path

from verify.report import claims_markdown

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_claims_table_matches_registry():
    block = re.search(r"<!-- claims:start -->\n(.*?)\n<!-- claims:end -->", README, re.S)
    assert block, "claims markers missing from README"
    assert block.group(1).strip() == claims_markdown().strip(), "regenerate with: python -m verify --list"


def test_ci_runs_the_readme_test_command():
    command = 'python -m pip install ".[test]" && python -m pytest'
    assert command in README
    ci = (ROOT / ".ci" / "run").read_text()
    assert ci.strip().splitlines()[-1] == command


def test_readme_main_command():
    assert "python -m pip install . && python -m verify" in README


def test_readme_python_examples_run():
    """Every ```python block of the README runs, in order, in one namespace."""
    blocks = re.findall(r"```python\n(.*?)```", README, re.S)
    assert blocks
    namespace: dict = {}
    for code in blocks:
        exec(compile(code, "<README.md>", "exec"), namespace)  # noqa: S102
    assert namespace["report"].evidence[0].id == "linear-span-projection"
