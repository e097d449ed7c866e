"""Lines per second: our parse_line, and parse + typed event, against TwitchIO 2.10's parser.

Baseline: ``twitchio.parse.parser`` on the same lines in the same run. TwitchIO's parser does
less (it neither unescapes tag values nor builds typed records), so the target is that our
parse + typed event runs at least 3x its rate.

Our records read their fields from the line on first access, so the run also reports the rate
with EVERY field of every record read (``as_dict()``): the cost a full consumer such as the
recorder's projection pays.
"""
from __future__ import annotations

import logging

from bench.common import best_rate, realistic_lines, save
from recorder.client.events import parse_event
from recorder.client.irc import parse_line

LINES = 20_000
TARGET_RATIO = 3.0


def main() -> int:
    lines = realistic_lines(LINES)
    assert len(set(lines)) == len(lines), "lines must be distinct"

    def ours_parse() -> int:
        for line in lines:
            parse_line(line)
        return len(lines)

    def ours_typed() -> int:
        for line in lines:
            parse_event(parse_line(line))
        return len(lines)

    def ours_all_fields() -> int:
        for line in lines:
            parse_event(parse_line(line)).as_dict()
        return len(lines)

    from twitchio.parse import parser as twitchio_parser

    logging.getLogger("twitchio").setLevel(logging.CRITICAL)
    failures = 0
    for line in lines:
        try:
            twitchio_parser(line, "justinfan123")
        except Exception:  # noqa: BLE001 - the baseline's own crashes are part of the result
            failures += 1

    def baseline() -> int:
        for line in lines:
            try:
                twitchio_parser(line, "justinfan123")
            except Exception:  # noqa: BLE001
                pass
        return len(lines)

    r_parse, r_typed, r_base = best_rate(ours_parse), best_rate(ours_typed), best_rate(baseline)
    r_all = best_rate(ours_all_fields)
    ratio = r_typed / r_base
    result = {
        "lines": len(lines),
        "ours_parse_line_per_s": round(r_parse),
        "ours_parse_plus_typed_per_s": round(r_typed),
        "ours_parse_typed_every_field_read_per_s": round(r_all),
        "ratio_every_field_vs_twitchio": round(r_all / r_base, 2),
        "twitchio_2_10_parser_per_s": round(r_base),
        "twitchio_parser_exceptions": failures,
        "ratio_typed_vs_twitchio": round(ratio, 2),
        "ratio_parse_vs_twitchio": round(r_parse / r_base, 2),
        "target_ratio": TARGET_RATIO,
        "target_met": ratio >= TARGET_RATIO,
    }
    print(f"{len(lines)} distinct realistic lines")
    print(f"  parse_line                    {r_parse:>12,.0f} lines/s")
    print(f"  parse_line + typed event      {r_typed:>12,.0f} lines/s")
    print(f"  ... and every field read      {r_all:>12,.0f} lines/s  "
          f"({r_all / r_base:.2f}x; tags unescaped, badges/emotes/times built)")
    print(f"  twitchio 2.10 parse.parser    {r_base:>12,.0f} lines/s  ({failures} lines raised)")
    print(f"  ratio (typed / twitchio)      {ratio:>12.2f}x   target >= {TARGET_RATIO}x "
          f"{'MET' if ratio >= TARGET_RATIO else 'NOT MET'}")
    print(f"  results: {save('parse', result)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
