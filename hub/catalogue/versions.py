"""Converting a payload between major versions of a contract, with declared migrations.

Migrations are data (`contracts/<id>/migrations.yaml`): each step goes from one major to an
adjacent one by adding fields with a default, copying values from one path to another
(`copy: {payer.code: caf_allocataire.caf_code}`, target first), moving some values of an array
to another array (`split: {commitments: {support_commitments: [accept_social_support]}}`,
source first) and removing top-level fields. A recipient pinned to an older major receives the
payload converted step by step.

A removed field that an office is entitled to (its projection names it) is information that
office will not get: the step declares it `lost`, and `hub contracts check` holds every pin
to a major that loses it to an acknowledgement by name (`hub/catalogue/checks.py`).

A step no payload can take says so, and why (`impossible`): an older major that cannot express
what the newer one says (a regularisation saying that steps are under way, where v1 only knows
outcomes). No office may read that major through a pin, and no conversion takes that step.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator


class MigrationError(ValueError):
    """A migrations file is malformed, or no chain of steps joins two versions."""


class Step(BaseModel):
    """One declared conversion between two adjacent majors."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    source: int = Field(alias="from", ge=1)
    target: int = Field(alias="to", ge=1)
    remove: tuple[str, ...] = ()
    add: dict[str, Any] = Field(default_factory=dict)
    copy_: dict[str, str] = Field(
        default_factory=dict,
        alias="copy",
        description="Per target path, the source path whose value it takes (when present).",
    )
    split: dict[str, dict[str, tuple[Any, ...]]] = Field(
        default_factory=dict,
        description="Per source array path, per target array path, the values that leave the "
        "source for the target.",
    )
    lost: tuple[str, ...] = Field(
        default=(),
        description="Removed fields some office is entitled to: the loss, declared.",
    )
    impossible: str | None = Field(
        default=None,
        min_length=1,
        description="Why no payload can be converted this way: the step is declared, not taken.",
    )

    @model_validator(mode="after")
    def _lost_fields_are_removed(self) -> Step:
        unknown = [name for name in self.lost if name not in self.remove]
        if unknown:
            raise ValueError(
                f"step {self.source}->{self.target}: lost names {', '.join(unknown)}, "
                "which the step does not remove"
            )
        if self.impossible and (self.remove or self.add or self.copy_ or self.split):
            raise ValueError(
                f"step {self.source}->{self.target} is impossible: it says why, and neither "
                "removes, adds, copies nor splits anything"
            )
        return self

    @model_validator(mode="after")
    def _each_value_leaves_for_one_array(self) -> Step:
        where = f"step {self.source}->{self.target}: split"
        for source, targets in self.split.items():
            if source in targets:
                raise ValueError(f"{where} moves values of {source} to {source} itself")
            named: list[tuple[Any, str]] = []  # values may be any JSON, objects included
            for target, values in targets.items():
                if not values:
                    raise ValueError(f"{where} moves no value of {source} to {target}: name some")
                for value in values:
                    first = next((t for v, t in named if v == value), None)
                    if first is not None:
                        both = target if first == target else f"both {first} and {target}"
                        raise ValueError(
                            f"{where} names {value!r} of {source} twice, for {both}: name it "
                            "once, under one target"
                        )
                    named.append((value, target))
        return self

    @property
    def moved(self) -> frozenset[str]:
        """The top-level fields whose values it copies elsewhere: removed, yet not lost."""
        return frozenset(source.split(".", 1)[0] for source in self.copy_.values())

    def apply(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The payload after this step (the input is not modified)."""
        out = {k: v for k, v in payload.items() if k not in self.remove}
        for name, default in self.add.items():
            out.setdefault(name, copy.deepcopy(default))
        for target, source in self.copy_.items():
            found = _at(payload, source)
            if found is not None:
                _put(out, target, copy.deepcopy(found))
        for source, targets in self.split.items():
            _split(out, source, targets)
        return out


def _split(payload: dict[str, Any], source: str, targets: dict[str, tuple[Any, ...]]) -> None:
    """Move the values `targets` names out of the array at `source`, each into its target array.

    The source keeps its other values, in order (an empty array when none is left: it said
    something, that none of its kind was given); a target gets the moved values after its own,
    each once, and is made only when a value moves. No array at `source`: nothing moves.
    """
    found = _at(payload, source)
    if not isinstance(found, list):
        return
    _put(payload, source, [copy.deepcopy(v) for v in found if _target(v, targets) is None])
    for target in targets:
        moving = [copy.deepcopy(v) for v in found if _target(v, targets) == target]
        if not moving:
            continue
        present = _at(payload, target)
        kept = [copy.deepcopy(v) for v in present] if isinstance(present, list) else []
        _put(payload, target, kept + [v for v in moving if v not in kept])


def _target(value: Any, targets: dict[str, tuple[Any, ...]]) -> str | None:
    """The array a value moves to, or None when it stays (compared by equality: any JSON)."""
    return next((target for target, values in targets.items() if value in values), None)


def _at(payload: dict[str, Any], path: str) -> Any:
    node: Any = payload
    for step in path.split("."):
        node = node.get(step) if isinstance(node, dict) else None
    return node


def _put(payload: dict[str, Any], path: str, found: Any) -> None:
    """Set the value at a dotted path, making the objects on the way (copies, never shared)."""
    *parents, last = path.split(".")
    node = payload
    for step in parents:
        child = node.get(step)
        node[step] = dict(child) if isinstance(child, dict) else {}
        node = node[step]
    node[last] = found


STEPS = TypeAdapter(tuple[Step, ...])


def load_steps(path: Path) -> tuple[Step, ...]:
    """The steps declared in a migrations file (none when the file does not exist)."""
    if not path.exists():
        return ()
    try:
        steps = STEPS.validate_python(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValidationError) as error:
        raise MigrationError(f"{path}: {error}") from error
    for step in steps:
        if abs(step.source - step.target) != 1:
            raise MigrationError(
                f"{path}: a step joins adjacent majors, not {step.source}->{step.target}"
            )
    return steps


def chain(source: int, target: int, steps: tuple[Step, ...]) -> tuple[Step, ...]:
    """The declared steps that take major `source` to major `target`, in order.

    `MigrationError` when a step is missing, or declared impossible (naming why).
    """
    by_pair = {(s.source, s.target): s for s in steps}
    direction = 1 if target > source else -1
    found = []
    for major in range(source, target, direction):
        step = by_pair.get((major, major + direction))
        if step is None:
            raise MigrationError(f"no migration from v{major} to v{major + direction}")
        if step.impossible:
            raise MigrationError(
                f"v{major} cannot be converted to v{major + direction}: {step.impossible}"
            )
        found.append(step)
    return tuple(found)


def unconvertible(source: int, target: int, steps: tuple[Step, ...]) -> str | None:
    """Why major `source` cannot be converted to major `target`; None when it can."""
    try:
        chain(source, target, steps)
    except MigrationError as error:
        return str(error)
    return None


def convert(
    payload: dict[str, Any], source: int, target: int, steps: tuple[Step, ...]
) -> dict[str, Any]:
    """`payload` of major `source` as major `target`, one declared step at a time."""
    for step in chain(source, target, steps):
        payload = step.apply(payload)
    return payload


def lost(source: int, target: int, steps: tuple[Step, ...]) -> tuple[str, ...]:
    """The fields declared lost on the way from major `source` to major `target`."""
    return tuple(dict.fromkeys(name for step in chain(source, target, steps) for name in step.lost))
