"""Which recommendations each line of a target's fragment serves, and in what order."""

from __future__ import annotations

from pathlib import Path

from secguide.trace.boards import (
    BoardReport,
    BoardVerdict,
    RecommendationVerdict,
    SettingVerdict,
    prj_conf_lines,
)
from secguide.zephyr.boards import BoardTarget


def _setting(symbol: str, reason: str = "", needs: tuple[tuple[str, str], ...] = ()
             ) -> SettingVerdict:
    return SettingVerdict(symbol=symbol, wanted="y", default="n",
                          verdict=BoardVerdict.AVAILABLE, reason=reason, needs=needs)


def _rec(rec_id: str, *settings: SettingVerdict) -> RecommendationVerdict:
    return RecommendationVerdict(rec_id=rec_id, title=rec_id, verdict=BoardVerdict.AVAILABLE,
                                 settings=settings)


def test_each_line_names_the_recommendations_it_serves() -> None:
    target = BoardTarget(name="b/s", board="b", qualifiers="s", soc="s", board_dir=Path("."))
    verdicts = (
        _rec("REC-C", _setting("CANARIES",
                               "replaced by CONFIG_CANARIES_STRONG, another option of "
                               "the same choice (REC-S)")),
        _rec("REC-S", _setting("CANARIES_STRONG"), _setting("USERSPACE")),
        _rec("REC-U", _setting("USERSPACE")),
        _rec("REC-N", _setting("HW_STACK", needs=(("USERSPACE", "y"), ("ENTROPY", "y")))),
        _rec("REC-P", _setting("CANARIES_STRONG_X", "replaced by CONFIG_CANARIES_STRONG_XY, "
                                                    "another option")),
    )
    report = BoardReport(target=target, facts={}, verdicts=verdicts, fragment=(
        ("CANARIES_STRONG", "y"), ("USERSPACE", "y"), ("ENTROPY", "y"), ("OTHER", "n")))
    lines = {line.symbol: line.because for line in prj_conf_lines(report)[0]}
    # Its own settings first, then the weaker option it replaces; a name that merely
    # starts the same (CANARIES_STRONG_XY) is another symbol.
    assert lines["CANARIES_STRONG"] == ("REC-S", "REC-C")
    # Two recommendations set it; a third needs it, said after them.
    assert lines["USERSPACE"] == ("REC-S", "REC-U", "needed by REC-N")
    assert lines["ENTROPY"] == ("needed by REC-N",)
    assert lines["OTHER"] == ("a setting of the guide",)
