"""The wire contract's list of partners and their offices, written from the partner directory.

`hub contracts docs` writes it again between two markers of `docs/wire-contract.md`, the rest of
that document being written by hand.
"""

from __future__ import annotations

from hub.catalogue.directory import PartnerDirectory


class PartnerListError(ValueError):
    """The text has no partner list to write again."""


PARTNERS_BEGIN = "<!-- partners: written by `hub contracts docs` from the partner directory -->"
PARTNERS_END = "<!-- /partners -->"


def partner_list(directory: PartnerDirectory) -> str:
    """The partners and their offices, as the wire contract lists them."""
    intro = (
        "Partner ids, from the partner directory (the source of truth), each with its offices "
        "(`ce_source` `/<partner>/<office>`):"
    )
    lines = [
        intro,
        "",
        "| partner | offices |",
        "|---|---|",
    ]
    for partner in directory.partners:
        coded = directory.coded_kinds(partner)
        offices = ", ".join(
            f"`{o}:<code>`" if o in coded else f"`{o}`" for o in directory.entries(partner)
        )
        lines.append(f"| `{partner}` | {offices} |")
    return "\n".join(lines)


def with_partner_list(text: str, directory: PartnerDirectory) -> str:
    """`text` with the block between the partner markers written again from the directory."""
    head, begin, rest = text.partition(PARTNERS_BEGIN)
    _, end, tail = rest.partition(PARTNERS_END)
    if not begin or not end:
        raise PartnerListError(f"no {PARTNERS_BEGIN} ... {PARTNERS_END} block")
    return f"{head}{begin}\n{partner_list(directory)}\n{end}{tail}"
