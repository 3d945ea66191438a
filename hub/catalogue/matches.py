"""Matches: what an answer must share with the notice it answers, as its contract declares.

An answer names the notice it answers (`ce_causationid`); that it is of a contract it may
answer, in the same case, from an office that received it, says nothing of its content. A
regularisation about another child, or dated before the formal notice, would still close the
notice's deadline. The answering contract declares, per contract it answers, the fields both
must carry alike and the dates the answer may not precede:

```yaml
answers: [instruction.mise-en-demeure]
matches:
  instruction.mise-en-demeure:
    same: [dasen_reference, child.last_name, child.first_names, child.birth_date]
    not_before:
      - {answer: sent_on, answered: sent_on}
```

A field named alone is the same path on both sides; `{answer: <path>, answered: <path>}` names
each. The intake compares them with the answered notice as the hub sealed it, and refuses an
answer that differs as `answer.mismatch`, with the pointer of the answer's field at fault and
never a value. `hub contracts check` refuses a rule naming a field either contract lacks.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, model_validator

from hub.catalogue.projection import parse_path
from hub.catalogue.scope_rules import pointer, value
from hub.wire.reasons import Reason

MISMATCH = "answer.mismatch"
ERASED = "answer.case-erased"


def _one_value(text: str) -> str:
    """A payload path that names one value (no `[]`: two lists are not compared item by item)."""
    if any(step.each for step in parse_path(text)):
        raise ValueError(f"{text}: a match compares one value; `[]` walks a list")
    return text


def _both_sides(declared: Any) -> Any:
    """`child.birth_date` alone is the same path in the answer and in the answered notice."""
    return {"answer": declared, "answered": declared} if isinstance(declared, str) else declared


FieldName = Annotated[str, AfterValidator(_one_value)]


class Pair(BaseModel):
    """A field of the answer and the field of the answered notice it is compared with."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    answer: FieldName
    answered: FieldName


Compared = Annotated[Pair, BeforeValidator(_both_sides)]


class Match(BaseModel):
    """What an answer must share with a notice of one contract it answers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    same: tuple[Compared, ...] = ()
    not_before: tuple[Compared, ...] = ()

    @model_validator(mode="after")
    def _something_compared(self) -> Match:
        if not self.same and not self.not_before:
            raise ValueError("a match names fields in `same` or `not_before`")
        return self

    @property
    def pairs(self) -> tuple[Pair, ...]:
        """Every pair it compares."""
        return self.same + self.not_before

    def reasons(self, answer: dict[str, Any], answered: dict[str, Any]) -> list[Reason]:
        """Where the answer does not match the notice it answers; empty when it does.

        A pair is compared when the answered notice carries its field (an optional one it left
        out binds nothing); an answer that leaves out a field the answered notice has does not
        show it is the same. A date is compared when both carry it.
        """
        found = []
        for pair in self.same:
            theirs = value(answered, pair.answered)
            if theirs is not None and not _same(value(answer, pair.answer), theirs):
                why = f"must be the same as `{pair.answered}` of the notice it answers"
                found.append(Reason(MISMATCH, why, pointer(pair.answer)))
        for pair in self.not_before:
            mine, theirs = _day(value(answer, pair.answer)), _day(value(answered, pair.answered))
            if mine is not None and theirs is not None and _earlier(mine, theirs):
                why = f"must not be earlier than `{pair.answered}` of the notice it answers"
                found.append(Reason(MISMATCH, why, pointer(pair.answer)))
        return found

    def agrees(self, answer: dict[str, Any], answered: dict[str, Any]) -> bool:
        """Whether the answer matches the answered notice."""
        return not self.reasons(answer, answered)


def _same(mine: Any, theirs: Any) -> bool:
    # Texts agree whatever their case, Unicode composition or runs of spaces: "MARTIN" is the
    # Martin of the formal notice. Anything else must be equal, and of the same JSON type.
    if isinstance(mine, str) and isinstance(theirs, str):
        return _text(mine) == _text(theirs)
    return type(mine) is type(theirs) and mine == theirs


def _text(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def _day(found: Any) -> date | datetime | None:
    """A date (`YYYY-MM-DD`) or a date-time with its offset; None for anything else."""
    if not isinstance(found, str):
        return None
    try:
        return datetime.fromisoformat(found) if "T" in found else date.fromisoformat(found)
    except ValueError:
        return None


def _earlier(mine: date | datetime, theirs: date | datetime) -> bool:
    # A date against a date-time: the day of the date-time, as its sender wrote it.
    if isinstance(mine, datetime) != isinstance(theirs, datetime):
        mine = mine.date() if isinstance(mine, datetime) else mine
        theirs = theirs.date() if isinstance(theirs, datetime) else theirs
    return mine < theirs
