"""What a pack says to the people reading the console's Chinese pages must read as Chinese: a
decision's and a rule's description, an interpretation point's question, its readings' labels
and reasons and the default's reason, an article's summary, and the name of a ``…_due``
deadline (sanction execution lists those by it). The linter reports any that does not; the pack
still loads, as with a reading no case exercises, so a pack written for a test need not be
translated."""

from __future__ import annotations

import re

from wenze.rules.models import LintIssue
from wenze.rules.pack import RulePack

PACK_FILE = "pack.yaml"
DOCUMENTS_FILE = "documents.yaml"

_CJK = re.compile(r"[\u3400-\u9fff]")
# An English sentence: three Latin words in a row. Codes (snake_case), document numbers and a
# word or two of notation inside Chinese text are fine.
_WORD = r"[0-9]*[A-Za-z]{2,}[A-Za-z0-9]*"
_ENGLISH_WORDS = re.compile(rf"{_WORD}(?:[\s,;:'’()-]+{_WORD}){{2,}}")


def english_in(text: str) -> str | None:
    """The first English sentence in ``text``, if any."""
    found = _ENGLISH_WORDS.search(text)
    return found.group(0) if found else None


def reads_as_chinese(text: str) -> bool:
    return bool(_CJK.search(text)) and english_in(text) is None


def untranslated_texts(pack: RulePack) -> list[LintIssue]:
    issues: list[LintIssue] = []

    def check(file: str, location: str, what: str, text: str) -> None:
        if not reads_as_chinese(text):
            message = f"{what} is shown on the console's Chinese pages: write it in Chinese"
            issues.append(LintIssue(tenant=pack.tenant, file=file, location=location, message=message))

    for info in pack.decisions():
        decision = pack.decision(info.name)
        check(decision.file, "description", "the description", decision.description)
        for name, output in decision.outputs.items():
            if output.type == "deadline" and name.endswith("_due"):
                check(decision.file, f"outputs/{name}/description", "the description", output.description)
        # A rule without a description would be shown by its id.
        for rule in decision.rules():
            check(decision.file, f"{rule.table}/{rule.id}/description", "the description", rule.description)
    for point in pack.points:
        where = f"interpretation_points/{point.id}"
        check(PACK_FILE, where, "the question", point.question)
        for reading in point.readings:
            check(PACK_FILE, f"{where}/readings/{reading.id}", "the label", reading.label)
            check(PACK_FILE, f"{where}/readings/{reading.id}", "the reason", reading.reason)
        check(PACK_FILE, f"{where}/default", "the reason", point.default_reason)
    for document in pack.documents:
        for article in document.articles:
            check(DOCUMENTS_FILE, article.text, "the summary", article.summary)
    return issues
