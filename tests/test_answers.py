"""Self-study: every question at the end of a notebook has a worked answer a student opens after trying.

The answers live in solutions/answers/NAME.md, linked from the notebook below its questions (never
shown in the notebook itself). Each answer repeats its question as a heading, so a question that
changes in the notebook without its answer fails here. Numbers an answer states are computed below.
"""
from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

import effnet_lib as en
from effnet_lib.face.course import ANSWERS_LINK
from effnet_lib.rules import paper

ROOT = Path(__file__).resolve().parent.parent
TWINS = ROOT / "notebooks" / "py"
ANSWERS = ROOT / "solutions" / "answers"
# Notebooks whose owners have not written their answers yet: strict, so an entry must go once they have.
AWAITING: set[str] = set()


def _markdown_lines(twin: Path) -> list[str]:
    return [line[2:] if line.startswith("# ") else line.lstrip("#") for line in twin.read_text().splitlines()]


def questions(twin: Path) -> dict[int, str]:
    """{number: question} from the notebook's "## Questions" section (items "1. ..." and their continuations)."""
    lines, found, current, inside = _markdown_lines(twin), {}, None, False
    for line in lines:
        if line.startswith("## "):
            inside = line.strip() == "## Questions"
            continue
        if not inside:
            continue
        item = re.match(r"(\d+)\. (.*)", line)
        if item:
            current = int(item.group(1))
            found[current] = item.group(2).strip()
        elif current is not None and line.startswith("   ") and line.strip():
            found[current] += " " + line.strip()
        elif not line.strip() or line.startswith("**"):
            current = None
    return found


def answers(path: Path) -> dict[int, tuple[str, str]]:
    """{number: (question as the heading repeats it, the answer's text)} from an answers file."""
    found = {}
    for block in re.split(r"^## ", path.read_text(), flags=re.MULTILINE)[1:]:
        heading, _, body = block.partition("\n")
        number, _, question = heading.partition(". ")
        found[int(number)] = (question.strip(), body.strip())
    return found


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


WITH_QUESTIONS = sorted(twin.stem for twin in TWINS.glob("*.py") if questions(twin))


def test_the_owned_notebooks_have_questions():
    assert {"01_problem_formulation", "03_compound_scaling", "04_architecture",
            "08_latency_and_transfer"} <= set(WITH_QUESTIONS)


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.xfail(strict=True, reason="answers not written yet"))
                                  if n in AWAITING else n for n in WITH_QUESTIONS])
def test_every_question_has_a_worked_answer_linked_from_its_notebook(name):
    twin = TWINS / f"{name}.py"
    link = ANSWERS_LINK.search(twin.read_text())
    assert link, f"{name} does not link its answers: add [solutions/answers/{name}.md](../solutions/answers/{name}.md)"
    assert link.group(1) == f"{name}.md"
    asked, given = questions(twin), answers(ANSWERS / link.group(1))
    assert sorted(given) == sorted(asked), f"{name}: questions {sorted(asked)}, answers {sorted(given)}"
    for number, question in asked.items():
        heading, body = given[number]
        assert _same(heading, question), f"{name}, question {number}: the answer's heading is not the question"
        assert len(body.split()) >= 20, f"{name}, question {number}: the answer is too short to be worked"


def test_answers_link_from_below_the_questions_not_in_the_first_view():
    for name in WITH_QUESTIONS:
        text = (TWINS / f"{name}.py").read_text()
        link = ANSWERS_LINK.search(text)
        if link:
            assert text.index("## Questions") < link.start(), f"{name}: link the answers after the questions"


def test_the_numbers_the_answers_state():
    one = (ANSWERS / "01_problem_formulation.md").read_text()
    assert f"{2 ** -0.07:.3f}" == "0.953" and f"{2 ** 0.07 - 1:.1%}" == "5.0%" and "0.953" in one and "5.0%" in one
    repeats = [s.repeats for s in en.B0.stages]
    deeper = [math.ceil(r * 1.1) for r in repeats]
    assert f"{tuple(repeats)} into {tuple(deeper)}" in one and "seven-layer" in one
    assert sum(deeper) - sum(repeats) == 7 and 0.1 * en.B0.num_blocks < 2

    three = (ANSWERS / "03_compound_scaling.md").read_text()
    others = {n: r for group in paper.TABLE_2_OTHERS.values() for n, r in group.items()}
    assert round(others["ResNeXt-101"].multiply_adds_billions / paper.TABLE_2["b3"].multiply_adds_billions) == 18
    assert "32B" in three and "80.9%" in three and "81.6%" in three and "1.8B" in three

    eight = (ANSWERS / "08_latency_and_transfer.md").read_text()
    head = 1280 * 1000 + 1000
    assert (en.cost("b0").parameters, head, 1280 * 10 + 10) == (5_288_548, 1_281_000, 12_810)
    assert en.cost("b0", num_classes=10).parameters == 4_020_358 == 5_288_548 - head + 12_810
    assert all(n in eight for n in ("1,281,000", "12,810", "5,288,548", "4,020,358"))
    assert "79.1%" in eight and "78.8%" in eight
    assert (paper.TABLE_2["b1"].top1, paper.TABLE_4["b1"].top1) == (79.1, 78.8)
