"""axe-core in the page under test: fail on every violation, whatever its impact (minor and
moderate ones too: issue 9 widened the check from serious and critical)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

AXE_SCRIPT = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING_IMPACTS = ("minor", "moderate", "serious", "critical")


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core on the page; its violations of any impact."""
    if not AXE_SCRIPT.exists():
        pytest.fail(f"{AXE_SCRIPT} is missing: npm ci (make test does it)")
    # A click that submits a form returns once the next page starts loading; its document may
    # not exist yet.
    page.wait_for_load_state()
    # Evaluated by the browser's automation channel, not as a script tag, which the page's
    # Content-Security-Policy refuses.
    page.evaluate(AXE_SCRIPT.read_text())
    violations = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target, summary: n.failureSummary})),
            }));
        }"""
    )
    return [v for v in violations if v["impact"] in BLOCKING_IMPACTS or v["impact"] is None]


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"]:
            lines.append(f"    {' '.join(map(str, node['target']))}")
            lines.extend(f"      {line}" for line in (node["summary"] or "").splitlines())
    return "\n".join(lines)


def assert_accessible(page: Any, where: str = "") -> None:
    violations = axe_violations(page)
    assert not violations, f"axe-core on {where or page.url}:\n{describe(violations)}"


def assert_no_sideways_scroll(page: Any, where: str = "") -> None:
    """The page is no wider than the window (a phone user never scrolls sideways)."""
    page.wait_for_load_state()
    scroll, inner = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner, f"{where or page.url} scrolls sideways: {scroll} > {inner} px"
