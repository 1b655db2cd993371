"""`python -m tests.dialogue.report [--show-failures]`: how many outsiders' conversations go right, by kind.

The held-out fifth is only ever counted: its failures are never printed, so that nobody tunes on them.
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Sequence

from tests.dialogue.runner import HERE, Verdict, load_cases, run_all

SETS = ("dev", "heldout")


def kind_of(case_id: str) -> str:
    """The kind of a case from its id: 'fr-book-017' -> 'fr-book'."""
    return case_id.rsplit("-", 1)[0]


def scores(verdicts: Sequence[Verdict]) -> dict[str, tuple[int, int]]:
    """(passed, cases) in all and by kind."""
    passed, total = Counter[str](), Counter[str]()
    for verdict in verdicts:
        for key in ("all", kind_of(verdict.case_id)):
            total[key] += 1
            passed[key] += verdict.passed
    return {key: (passed[key], total[key]) for key in sorted(total, key=lambda k: (k != "all", k))}


def main(argv: Sequence[str] | None = None) -> None:
    """Print the scores of both sets, and the dev set's failures when asked."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--show-failures", action="store_true", help="print each failed dev case's exchange")
    args = parser.parse_args(argv)
    for name in SETS:
        verdicts = run_all(load_cases(HERE / f"{name}.yml"))
        print(f"## {name}")
        for key, (passed, total) in scores(verdicts).items():
            print(f"{key:>16}: {passed:4}/{total:<4} {passed / total:6.1%}")
        if args.show_failures and name == "dev":
            for verdict in verdicts:
                if not verdict.passed:
                    print(f"\n- {verdict.case_id}: {verdict.failure}")
                    for said, reply in verdict.exchange:
                        print(f"    > {said}\n    < {reply.replace(chr(10), ' | ')}")
        print()


if __name__ == "__main__":
    main()
