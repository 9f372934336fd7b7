"""The benchmark's pandas implementation of sla_summary.csv and monthly_trends.csv.

Written for `benches/run` only (never part of the tests): it reads one Analytics incidents CSV
made by `auditpack generate --clean` and the policy.toml beside it, and applies the
definitions of docs/metrics.md (severity by priority name, inclusive targets, next business day,
pending vs breach at the as-of instant, linear percentiles) so that its files can be compared
byte for byte with auditpack's.

    python3 benches/pandas_sla.py DIR OUT_DIR
"""

import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

DAYS = {"Mon": 0, "Tue": 1, "Wed": 2, "Thu": 3, "Fri": 4, "Sat": 5, "Sun": 6}
UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def seconds(text):
    total, number = 0, ""
    for c in text.strip():
        if c.isdigit():
            number += c
        else:
            total += int(number) * UNITS[c]
            number = ""
    return total


def main(folder, out):
    folder, out = Path(folder), Path(out)
    policy = tomllib.loads((folder / "policy.toml").read_text())
    zone = policy["organization"]["timezone"]
    in_zone = policy.get("inputs", {}).get("timezone", zone)
    bh = policy["business_hours"]
    severities = policy["severity"]
    csv = next(p for p in sorted(folder.glob("*.csv")))
    df = pd.read_csv(
        csv,
        encoding="utf-8-sig",
        usecols=["id", "created_at", "resolved_at", "priority_name", "seconds_to_first_ack", "seconds_to_resolve"],
        dtype={"id": str, "priority_name": str},
    )
    df = df.drop_duplicates("id", keep="first")

    def utc(col):
        return (
            pd.to_datetime(df[col])
            .dt.tz_localize(in_zone, ambiguous=True, nonexistent="NaT")
            .dt.tz_convert("UTC")
        )

    # The same rejections as auditpack's for these files: resolved before created (a local
    # time read as the earlier instant of a DST repeat can put it there).
    resolved_at = utc("resolved_at")
    df = df[~(resolved_at < utc("created_at"))]
    created = utc("created_at")
    tta = df["seconds_to_first_ack"].astype(float)
    ttr = df["seconds_to_resolve"].astype(float)
    local = created.dt.tz_convert(zone)
    day = local.dt.tz_localize(None).dt.normalize()

    # Severity by priority name (case-insensitive), else unclassified.
    prio = df["priority_name"].fillna("").str.strip().str.lower()
    sev = pd.Series("unclassified", index=df.index)
    for s in reversed(severities):
        names = [m.lower() for m in s.get("match", [s["name"]])]
        sev = sev.where(~prio.isin(names), s["name"])

    # As-of: the latest timestamp in the inputs; the period: the whole months spanned.
    stamps = pd.concat([created, created + pd.to_timedelta(tta, unit="s"), created + pd.to_timedelta(ttr, unit="s")])
    as_of = stamps.max()
    first, last = day.min(), day.max()
    months = pd.period_range(first.to_period("M"), last.to_period("M"), freq="M")
    month = day.dt.to_period("M").astype(str)

    # Targets in seconds after creation.
    ack_t = pd.Series(np.nan, index=df.index)
    res_t = pd.Series(np.nan, index=df.index)
    business = [DAYS[d] for d in bh["days"]]
    holidays = np.array([np.datetime64(h) for h in bh["holidays"]], dtype="datetime64[D]")
    end_h, end_m = (int(x) for x in bh["end"].split(":"))
    for s in severities:
        mask = sev == s["name"]
        if "resolve_within" in s:
            res_t[mask] = seconds(s["resolve_within"])
        a = s.get("ack_within")
        if a == "next-business-day":
            weekmask = "".join("1" if i in business else "0" for i in range(7))
            start = day[mask].values.astype("datetime64[D]")
            nbd = np.busday_offset(start, 1, roll="forward", weekmask=weekmask, holidays=holidays)
            # busday_offset(d, 1) from a non-business day rolls forward first: count from d
            # strictly, so roll to the next business day after d itself.
            is_bd = np.is_busday(start, weekmask=weekmask, holidays=holidays)
            nbd = np.where(is_bd, nbd, np.busday_offset(start, 0, roll="forward", weekmask=weekmask, holidays=holidays))
            deadline = (
                pd.to_datetime(nbd) + pd.Timedelta(hours=end_h, minutes=end_m)
            ).tz_localize(zone, ambiguous=True, nonexistent="shift_forward").tz_convert("UTC")
            ack_t[mask] = (pd.Series(deadline, index=day[mask].index) - created[mask]).dt.total_seconds()
        elif a is not None:
            ack_t[mask] = seconds(a)

    open_s = (as_of - created).dt.total_seconds()
    # Only an acknowledgement meets the acknowledgement target: resolved without one is a
    # breach, or left out with `resolved_without_ack = "exclude"`.
    exclude = policy.get("acknowledgement", {}).get("resolved_without_ack", "breach") == "exclude"
    unacked = tta.isna() & ttr.notna()

    def status(measured, target, done=None, done_status=None):
        st = pd.Series("", index=df.index, dtype="object")
        has = target.notna()
        open_ = measured.isna() if done is None else measured.isna() & ~done
        st[has & measured.notna() & (measured <= target)] = "met"
        st[has & measured.notna() & (measured > target)] = "breach"
        if done is not None:
            st[has & measured.isna() & done] = done_status
        st[has & open_ & (open_s < target)] = "pending"
        st[has & open_ & ~(open_s < target)] = "breach"
        return st

    frame = pd.DataFrame(
        {
            "severity": sev,
            "month": month,
            "tta": tta,
            "ttr": ttr,
            "ack": status(tta, ack_t, unacked, "excluded" if exclude else "breach"),
            "unacked": unacked,
            "res": status(ttr, res_t),
            "has_ack": ack_t.notna(),
            "has_res": res_t.notna(),
            "day": day,
        }
    )
    frame = frame[(frame["day"] >= first) & (frame["day"] <= last)]

    def pct(v):
        return "" if v is None else f"{v:.2f}"

    def sec(v):
        return "" if v is None or (isinstance(v, float) and np.isnan(v)) else f"{v:.1f}"

    def stats(g, ack_target, res_target):
        def q(col, p):
            v = g[col].dropna()
            return None if v.empty else float(np.quantile(v.to_numpy(), p))

        def mean(col):
            v = g[col].dropna()
            return None if v.empty else float(v.mean())

        def sla(c, has):
            if not has:
                return "", ""
            met = int((g[c] == "met").sum())
            judged = int(g[c].isin(["met", "breach"]).sum())
            return str(met), pct(100.0 * met / judged if judged else None)

        def side(col, count, status, has, within):
            met, pct_ = sla(status, has)
            return {
                count: str(int(g[col].notna().sum())),
                f"{within}_within_sla": met,
                f"{within}_within_sla_pct": pct_,
                f"m{col}_s": sec(mean(col)),
                **{f"{col}_p{int(p * 100)}_s": sec(q(col, p)) for p in (0.5, 0.9, 0.95)},
            }

        ack = side("tta", "acknowledged", "ack", ack_target, "ack")
        return {
            "incidents": str(len(g)),
            "acknowledged": ack.pop("acknowledged"),
            "resolved_unacknowledged": str(int(g["unacked"].sum())),
            **ack,
            **side("ttr", "resolved", "res", res_target, "resolve"),
        }

    kinds = [(s["name"], "ack_within" in s, "resolve_within" in s) for s in severities]
    if (frame["severity"] == "unclassified").any():
        kinds.append(("unclassified", False, False))
    kinds.append(("ALL", any(k[1] for k in kinds), any(k[2] for k in kinds)))

    def rows(g):
        out = []
        for name, a, r in kinds:
            sub = g if name == "ALL" else g[g["severity"] == name]
            out.append({"severity": name, **stats(sub, a, r)})
        return out

    summary = pd.DataFrame(rows(frame))
    summary.to_csv(out / "sla_summary.csv", index=False, lineterminator="\n")
    cols = ["severity", "incidents", "acknowledged", "resolved_unacknowledged", "ack_within_sla", "ack_within_sla_pct", "mtta_s",
            "tta_p90_s", "resolved", "resolve_within_sla", "resolve_within_sla_pct", "mttr_s", "ttr_p90_s"]
    monthly = []
    for m in months.astype(str):
        for r in rows(frame[frame["month"] == m]):
            monthly.append({"month": m, **{c: r[c] for c in cols}})
    pd.DataFrame(monthly).to_csv(out / "monthly_trends.csv", index=False, lineterminator="\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
