"""Tables at a terminal: they fit 80 columns and show scraped text as it is."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from flows.output import group_detail, groups_table

LONG = (
    "OpenAI and Foxconn team up to design and build data-centre hardware in the "
    "United States, the companies said on Friday"
)
ARTICLE = {
    "url": "https://www.spacewar.example/reports/OpenAI_Foxconn_team_up_to_build_hardware_999.html",
    "source": "spacewar-with-a-long-source-name",
    "title": LONG,
    "published": "2025-11-21T06:40:00+00:00",
    "is_origin": True,
    "similarity": None,
    "agency_evidence": "by AFP Staff Writers",
    "changes": None,
}
GROUP: dict[str, Any] = {
    "id": 123456,
    "size": 12,
    "title": LONG + " [bold]<img src=x onerror=alert(1)>[/bold]",
    "agency": "Reuters",
    "first_published": "2025-11-21T06:40:00+00:00",
    "last_published": "2025-11-21T09:15:00+00:00",
    "origin": {"url": ARTICLE["url"], "source": ARTICLE["source"]},
    "sources": [ARTICLE["source"], "southern"],
    "articles": [
        ARTICLE,
        {
            **ARTICLE,
            "source": "southern",
            "is_origin": False,
            "similarity": 0.81,
            "changes": {"summary": "5 of 7 paragraphs kept (2 edited), 2 cut; 70% of the origin"},
        },
    ],
}


def _render(draw: Any, *args: Any) -> list[str]:
    console = Console(width=80, record=True, force_terminal=False, color_system=None)
    draw(*args, console)
    return console.export_text().splitlines()


def test_the_group_list_fits_80_columns_and_keeps_whole_titles() -> None:
    lines = _render(groups_table, [GROUP, {**GROUP, "id": 7, "agency": None, "origin": None}])
    assert max(map(len, lines)) <= 80
    text = " ".join(lines)
    for word in ("123456", "Reuters", "2025-11-21 06:40", "Friday", ARTICLE["source"]):
        assert word in text
    # Folded, not cut: every word of the title is there, markup and HTML as text.
    assert "[bold]<img src=x onerror=alert(1)>[/bold]" in " ".join(line.strip() for line in lines)


def test_one_group_fits_80_columns_with_its_copies_and_changes() -> None:
    lines = _render(group_detail, GROUP)
    # The header lines are the title and the origin URL: rich folds them at 80 too.
    assert max(map(len, lines)) <= 80
    text = "".join(line.strip("│ ") for line in lines)
    for part in ("Storygroup123456", "agency:Reuters", "(origin)", "0.81", "70%oftheorigin"):
        assert part in text.replace(" ", "")
    assert "credited as: by AFP Staff Writers" in "\n".join(lines)
