"""The quarterly return and the SSDA903 tables computed by DuckDB and by pandas from the store's
tables exported to CSV (children, placements, episodes, events), timed, and checked against
Homeward's own output. Run by scripts/bench-exchange; the definitions follow
crates/exchange/src/quarterly.rs, ssda903.rs and episodes.rs.

Usage: python bench_exchange.py CSV_DIR QUARTER YEAR HOMEWARD_QUARTERLY_CSV HOMEWARD_903_DIR
Prints one JSON object: seconds per engine and task, and whether the figures agree.
"""

import csv
import datetime as dt
import json
import sys
import time
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd

LONDON = ZoneInfo("Europe/London")
HOUR = 3_600_000_000
# The strategy-meeting triggers mirror crates/protocol/packs/sy.toml, which Homeward reads
# (crates/exchange/src/quarterly.rs): parameters.repeat = { window = "P28D", at_least = 3 }
# (SY-REPEAT-28D: police reports in the closed window [T_rep - 28 London calendar days, T_rep],
# the current one included) and SY-STRAT-72H (still missing at T_rep + PT72H, elapsed time).
# Change them here if the pack changes.
REPEAT_WINDOW_DAYS = 28
REPEAT_AT_LEAST = 3
MISSING_FOR = 72 * HOUR
# Homeward counts a 72-hour trigger once its instant has passed when the export runs; for a
# past quarter that is every one, so "now" here is simply the time of this run.
NOW = int(time.time() * 1_000_000)
COUNT_COLUMNS = [
    "missing_children", "missing_episodes", "episodes_age_under_11", "episodes_age_11_13",
    "episodes_age_14_15", "episodes_age_16_17", "episodes_age_18_plus", "looked_after_children",
    "episodes_looked_after", "episodes_looked_after_out_of_area", "episodes_not_looked_after",
    "episodes_under_24h", "episodes_24h_to_72h", "episodes_over_72h", "episodes_open",
    "strategy_triggers_repeat", "strategy_triggers_over_72h", "strategy_meetings_held",
    "rhi_required", "rhi_offered", "rhi_completed", "rhi_declined",
]


def micros(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=LONDON).timestamp() * 1_000_000)


def look_back(first: dt.date) -> int:
    """The earliest episode opening the quarter needs: one repeat window before its first day."""
    return micros(first - dt.timedelta(days=REPEAT_WINDOW_DAYS))


def window_start(rep):
    """T_rep minus the repeat window in London calendar days, as protocol's Calendar::sub does
    (a wall-clock time in the October fold is the first, BST, one; one in the March gap moves on
    by the gap), in microseconds; rep is a Series of microseconds."""
    local = pd.to_datetime(rep, unit="us", utc=True).dt.tz_convert(LONDON).dt.tz_localize(None)
    shifted = (local - pd.Timedelta(days=REPEAT_WINDOW_DAYS)).dt.tz_localize(
        LONDON, ambiguous=True, nonexistent=pd.Timedelta(hours=1)
    )
    return (shifted - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(microseconds=1)


def quarter_bounds(label):
    year, q = label.split("-Q")
    first = dt.date(int(year), 3 * (int(q) - 1) + 1, 1)
    nxt = dt.date(first.year + (first.month + 3 > 12), (first.month + 2) % 12 + 1, 1)
    return first, nxt - dt.timedelta(days=1)


def year_bounds(label):
    start = int(label[:4])
    return dt.date(start, 4, 1), dt.date(start + 1, 3, 31)


# ---------------------------------------------------------------- DuckDB

DUCK_VIEWS = """
CREATE OR REPLACE TEMP TABLE ev AS
SELECT e.episode_id, e.id, e.at,
       json_extract_string(e.body, '$.type') AS type,
       json_extract_string(e.body, '$.data.status') AS status,
       json_extract_string(e.body, '$.data.level') AS level,
       json_extract_string(e.body, '$.data.meeting_type') AS meeting_type
FROM events e
WHERE e.episode_id IN (SELECT id FROM episodes WHERE opened_at >= $from AND opened_at < $to)
  AND e.id NOT IN (SELECT CAST(corrects_event_id AS BIGINT) FROM events WHERE corrects_event_id IS NOT NULL);
CREATE OR REPLACE TEMP TABLE v AS
SELECT ep.id, ep.child_id, ep.responsible_authority_id AS ra, ep.host_authority_id AS ha,
  coalesce(min(ev.at) FILTER (WHERE ev.type IN ('absence_noticed', 'reported_missing')), ep.opened_at) AS started_at,
  coalesce(min(ev.at) FILTER (WHERE ev.type = 'returned'), min(ev.at) FILTER (WHERE ev.type = 'located')) AS ended_at,
  min(ev.at) FILTER (WHERE ev.type = 'reported_missing') AS rep_at,
  coalesce(min(ev.at) FILTER (WHERE ev.type = 'located'), min(ev.at) FILTER (WHERE ev.type = 'returned')) AS found_at,
  coalesce(arg_min(ev.status, (ev.at, ev.id)) FILTER (WHERE ev.type = 'absence_noticed') IN ('awol', 'unauthorised_absence'), false)
    AND count(*) FILTER (WHERE ev.type = 'reported_missing') = 0 AS away,
  count(*) FILTER (WHERE ev.type = 'meeting_held' AND ev.meeting_type IN ('strategy', 'complex_strategy')) AS strategy,
  count(*) FILTER (WHERE ev.type IN ('rhi_offered', 'rhi_completed', 'rhi_declined')) > 0 AS offered,
  count(*) FILTER (WHERE ev.type = 'rhi_completed') > 0 AS completed,
  count(*) FILTER (WHERE ev.type = 'rhi_declined') > 0 AS declined
FROM episodes ep LEFT JOIN ev ON ev.episode_id = ep.id
WHERE ep.opened_at >= $from AND ep.opened_at < $to
GROUP BY ep.id, ep.child_id, ep.responsible_authority_id, ep.host_authority_id, ep.opened_at;
CREATE OR REPLACE TEMP TABLE vd AS
SELECT v.*, CAST(timezone('Europe/London', to_timestamp(started_at / 1e6)) AS DATE) AS start_day,
       CAST(timezone('Europe/London', to_timestamp(ended_at / 1e6)) AS DATE) AS end_day
FROM v;
"""

DUCK_QUARTERLY = """
WITH q AS (
  SELECT vd.*, a.code,
    (year(start_day) * 10000 + month(start_day) * 100 + day(start_day)
      - (year(CAST(c.dob AS DATE)) * 10000 + month(CAST(c.dob AS DATE)) * 100 + day(CAST(c.dob AS DATE)))) // 10000 AS age,
    coalesce((SELECT arg_max(p.legal_status, (p.starts_on, p.id)) FROM placements p
              WHERE p.child_id = vd.child_id AND CAST(p.starts_on AS DATE) <= start_day
                AND (p.ends_on IS NULL OR start_day < CAST(p.ends_on AS DATE))) <> 'none', false) AS lac,
    (SELECT count(*) FROM v w WHERE w.child_id = vd.child_id AND w.rep_at IS NOT NULL
       AND w.rep_at >= epoch_us(timezone('Europe/London',
             timezone('Europe/London', CAST(make_timestamp(vd.rep_at) AS TIMESTAMPTZ)) - INTERVAL $window DAY))
       AND (w.rep_at < vd.rep_at OR (w.rep_at = vd.rep_at AND w.id <= vd.id))) AS recent,
    vd.rep_at IS NOT NULL AND vd.rep_at + $missing_for <= $now
      AND (vd.found_at IS NULL OR vd.found_at > vd.rep_at + $missing_for) AS still_missing
  FROM vd JOIN children c ON c.id = vd.child_id JOIN authorities a ON a.id = vd.ra
  WHERE vd.started_at >= $qstart AND vd.started_at < $qend
)
SELECT code,
  count(DISTINCT child_id), count(*),
  count(*) FILTER (WHERE age < 11), count(*) FILTER (WHERE age BETWEEN 11 AND 13),
  count(*) FILTER (WHERE age BETWEEN 14 AND 15), count(*) FILTER (WHERE age BETWEEN 16 AND 17),
  count(*) FILTER (WHERE age >= 18),
  count(DISTINCT child_id) FILTER (WHERE lac), count(*) FILTER (WHERE lac),
  count(*) FILTER (WHERE lac AND ha <> ra), count(*) FILTER (WHERE NOT lac),
  count(*) FILTER (WHERE ended_at - started_at < 24 * $hour),
  count(*) FILTER (WHERE ended_at - started_at >= 24 * $hour AND ended_at - started_at <= 72 * $hour),
  count(*) FILTER (WHERE ended_at - started_at > 72 * $hour), count(*) FILTER (WHERE ended_at IS NULL),
  count(*) FILTER (WHERE rep_at IS NOT NULL AND recent >= $at_least), count(*) FILTER (WHERE still_missing),
  sum(strategy), count(*) FILTER (WHERE ended_at IS NOT NULL),
  count(*) FILTER (WHERE offered), count(*) FILTER (WHERE completed), count(*) FILTER (WHERE declined)
FROM q GROUP BY code ORDER BY code
"""

DUCK_903 = """
CREATE OR REPLACE TEMP TABLE spans AS
SELECT child_id, CAST(starts_on AS DATE) AS s, CAST(ends_on AS DATE) AS e
FROM placements
WHERE legal_status IN ('s20', 's31_care_order', 's38_interim_care_order', 's21_accommodation')
  AND CAST(starts_on AS DATE) <= $last AND (ends_on IS NULL OR CAST(ends_on AS DATE) > $first);
"""


def duck(csv_dir, quarter, year):
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    # Plain timestamps are UTC instants (make_timestamp); London wall-clock arithmetic is explicit.
    con.execute("SET TimeZone = 'UTC'")
    out = {}
    t0 = time.perf_counter()
    for table in ("authorities", "children", "placements", "episodes", "events"):
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_csv('{csv_dir}/{table}.csv', header = true)")
    load = time.perf_counter() - t0
    # Quarterly.
    qf, ql = quarter_bounds(quarter)
    qstart, qend = micros(qf), micros(ql + dt.timedelta(days=1))
    t0 = time.perf_counter()
    con.execute(DUCK_VIEWS.replace("$from", str(look_back(qf))).replace("$to", str(qend)))
    rows = con.execute(
        DUCK_QUARTERLY.replace("$qstart", str(qstart)).replace("$qend", str(qend))
        .replace("$window", str(REPEAT_WINDOW_DAYS)).replace("$at_least", str(REPEAT_AT_LEAST))
        .replace("$missing_for", str(MISSING_FOR)).replace("$now", str(NOW)).replace("$hour", str(HOUR))
    ).fetchall()
    out["quarterly"] = {r[0]: [int(x or 0) for x in r[1:]] for r in rows}
    t_q = time.perf_counter() - t0
    # SSDA903.
    yf, yl = year_bounds(year)
    t0 = time.perf_counter()
    con.execute(DUCK_VIEWS.replace("$from", str(micros(yf))).replace("$to", str(micros(yl + dt.timedelta(days=1)))))
    con.execute(DUCK_903.replace("$first", f"DATE '{yf}'").replace("$last", f"DATE '{yl}'"))
    header = {r[0] for r in con.execute("SELECT DISTINCT child_id FROM spans").fetchall()}
    episodes = {(r[0], r[1]) for r in con.execute("SELECT child_id, strftime(s, '%d/%m/%Y') FROM spans").fetchall()}
    missing = con.execute(f"""
        SELECT vd.child_id, CASE WHEN away THEN 'A' ELSE 'M' END, strftime(start_day, '%d/%m/%Y'),
               CASE WHEN end_day <= DATE '{yl}' THEN strftime(end_day, '%d/%m/%Y') ELSE '' END
        FROM vd WHERE start_day BETWEEN DATE '{yf}' AND DATE '{yl}'
          AND EXISTS (SELECT 1 FROM spans WHERE spans.child_id = vd.child_id AND s <= start_day AND (e IS NULL OR start_day < e))
    """).fetchall()
    out["ssda903"] = {"header": header, "episodes": episodes, "missing": sorted(tuple(m) for m in missing)}
    t_903 = time.perf_counter() - t0
    return out, {"load_csv": load, "quarterly": t_q, "ssda903": t_903}


# ---------------------------------------------------------------- pandas

def pandas_views(tables, lo, hi):
    episodes = tables["episodes"]
    eps = episodes[(episodes.opened_at >= lo) & (episodes.opened_at < hi)]
    events = tables["events"]
    corrected = set(events.corrects_event_id.dropna().astype("int64"))
    ev = events[events.episode_id.isin(eps.id) & ~events.id.isin(corrected)].copy()
    bodies = [json.loads(b) for b in ev.body]
    ev["type"] = [b.get("type") for b in bodies]
    data = [b.get("data") or {} for b in bodies]
    ev["status"] = [d.get("status") for d in data]
    ev["meeting_type"] = [d.get("meeting_type") for d in data]
    ev = ev.sort_values(["episode_id", "at", "id"])
    g = lambda mask: ev[mask].groupby("episode_id")
    v = eps.set_index("id")[["child_id", "responsible_authority_id", "host_authority_id", "opened_at"]].copy()
    v.columns = ["child_id", "ra", "ha", "opened_at"]
    start = g(ev.type.isin(["absence_noticed", "reported_missing"])).at.min()
    v["started_at"] = start.reindex(v.index).fillna(v.opened_at).astype("int64")
    returned = g(ev.type == "returned").at.min().reindex(v.index)
    located = g(ev.type == "located").at.min().reindex(v.index)
    v["ended_at"] = returned.fillna(located)
    v["rep_at"] = g(ev.type == "reported_missing").at.min().reindex(v.index)
    v["found_at"] = located.fillna(returned)
    first_status = g(ev.type == "absence_noticed").status.first().reindex(v.index)
    reported = g(ev.type == "reported_missing").size().reindex(v.index).fillna(0)
    v["away"] = first_status.isin(["awol", "unauthorised_absence"]) & (reported == 0)
    v["strategy"] = g((ev.type == "meeting_held") & ev.meeting_type.isin(["strategy", "complex_strategy"])).size().reindex(v.index).fillna(0)
    for name, types in (("offered", ["rhi_offered", "rhi_completed", "rhi_declined"]), ("completed", ["rhi_completed"]), ("declined", ["rhi_declined"])):
        v[name] = g(ev.type.isin(types)).size().reindex(v.index).fillna(0) > 0
    v["start_day"] = pd.to_datetime(v.started_at, unit="us", utc=True).dt.tz_convert(LONDON).dt.date
    v["end_day"] = pd.to_datetime(v.ended_at, unit="us", utc=True).dt.tz_convert(LONDON).dt.date
    return v.reset_index()


def pandas_run(csv_dir, quarter, year):
    t0 = time.perf_counter()
    tables = {t: pd.read_csv(f"{csv_dir}/{t}.csv") for t in ("authorities", "children", "placements", "episodes", "events")}
    load = time.perf_counter() - t0
    out = {}
    codes = tables["authorities"].set_index("id").code
    placements = tables["placements"].copy()
    # An open placement ends in the far future, so one comparison covers both cases.
    far = dt.date(9999, 12, 31)
    placements["s"] = [dt.date.fromisoformat(x) for x in placements.starts_on]
    placements["e"] = [dt.date.fromisoformat(x) if isinstance(x, str) else far for x in placements.ends_on]
    # Quarterly.
    qf, ql = quarter_bounds(quarter)
    qstart, qend = micros(qf), micros(ql + dt.timedelta(days=1))
    t0 = time.perf_counter()
    v = pandas_views(tables, look_back(qf), qend)
    q = v[(v.started_at >= qstart) & (v.started_at < qend)].copy()
    dob = tables["children"].set_index("id").dob.reindex(q.child_id).values
    key = lambda d: d.year * 10000 + d.month * 100 + d.day
    q["age"] = [(key(s) - key(dt.date.fromisoformat(b))) // 10000 for s, b in zip(q.start_day, dob)]
    pl = q[["id", "child_id", "start_day"]].merge(placements, on="child_id")
    pl = pl[(pl.s <= pl.start_day) & (pl.start_day < pl.e)].sort_values(["starts_on", "id_y"])
    lac = pl.groupby("id_x").legal_status.last().reindex(q.id)
    q["lac"] = (lac.fillna("none") != "none").values
    reported = q[q.rep_at.notna()][["id", "child_id", "rep_at"]].copy()
    reported["from"] = window_start(reported.rep_at.astype("int64")).values
    pairs = reported.merge(v[v.rep_at.notna()][["id", "child_id", "rep_at"]], on="child_id", suffixes=("", "_w"))
    earlier = (pairs.rep_at_w < pairs.rep_at) | ((pairs.rep_at_w == pairs.rep_at) & (pairs.id_w <= pairs.id))
    pairs = pairs[(pairs.rep_at_w >= pairs["from"]) & earlier]
    q["recent"] = pairs.groupby("id").size().reindex(q.id).fillna(0).values
    activation = q.rep_at + MISSING_FOR
    q["still_missing"] = q.rep_at.notna() & (activation <= NOW) & (q.found_at.isna() | (q.found_at > activation))
    q["code"] = codes.reindex(q.ra).values
    d = q.ended_at - q.started_at
    q["u24"], q["u72"], q["o72"], q["open"] = d < 24 * HOUR, (d >= 24 * HOUR) & (d <= 72 * HOUR), d > 72 * HOUR, q.ended_at.isna()
    result = {}
    for code, f in q.groupby("code"):
        result[code] = [
            f.child_id.nunique(), len(f), (f.age < 11).sum(), f.age.between(11, 13).sum(), f.age.between(14, 15).sum(),
            f.age.between(16, 17).sum(), (f.age >= 18).sum(), f[f.lac].child_id.nunique(), f.lac.sum(),
            (f.lac & (f.ha != f.ra)).sum(), (~f.lac).sum(), f.u24.sum(), f.u72.sum(), f.o72.sum(), f.open.sum(),
            (f.recent >= REPEAT_AT_LEAST).sum(), f.still_missing.sum(), int(f.strategy.sum()), f.ended_at.notna().sum(),
            f.offered.sum(), f.completed.sum(), f.declined.sum(),
        ]
        result[code] = [int(x) for x in result[code]]
    out["quarterly"] = result
    t_q = time.perf_counter() - t0
    # SSDA903.
    yf, yl = year_bounds(year)
    t0 = time.perf_counter()
    v = pandas_views(tables, micros(yf), micros(yl + dt.timedelta(days=1)))
    lac_codes = ["s20", "s31_care_order", "s38_interim_care_order", "s21_accommodation"]
    spans = placements[placements.legal_status.isin(lac_codes) & (placements.s <= yl) & (placements.e > yf)]
    header = set(spans.child_id)
    episodes = {(c, s.strftime("%d/%m/%Y")) for c, s in zip(spans.child_id, spans.s)}
    m = v[(v.start_day >= yf) & (v.start_day <= yl)].merge(spans[["child_id", "s", "e"]], on="child_id")
    m = m[(m.s <= m.start_day) & (m.start_day < m.e)].drop_duplicates("id")
    missing = sorted(
        (c, "A" if a else "M", s.strftime("%d/%m/%Y"), e.strftime("%d/%m/%Y") if isinstance(e, dt.date) and e <= yl else "")
        for c, a, s, e in zip(m.child_id, m.away, m.start_day, m.end_day)
    )
    out["ssda903"] = {"header": header, "episodes": episodes, "missing": missing}
    t_903 = time.perf_counter() - t0
    return out, {"load_csv": load, "quarterly": t_q, "ssda903": t_903}


# ---------------------------------------------------------------- Homeward's output

def homeward_output(quarterly_csv, dir_903):
    with open(quarterly_csv, newline="") as f:
        quarterly = {r["authority"]: [int(r[c]) for c in COUNT_COLUMNS] for r in csv.DictReader(f)}
    with open(f"{dir_903}/header.csv", newline="") as f:
        header = {int(r["CHILD"]) for r in csv.DictReader(f)}
    with open(f"{dir_903}/episodes.csv", newline="") as f:
        episodes = {(int(r["CHILD"]), r["DECOM"]) for r in csv.DictReader(f)}
    with open(f"{dir_903}/missing.csv", newline="") as f:
        missing = sorted((int(r["CHILD"]), r["MISSING"], r["MIS_START"], r["MIS_END"]) for r in csv.DictReader(f))
    return {"quarterly": quarterly, "ssda903": {"header": header, "episodes": episodes, "missing": missing}}


def main():
    csv_dir, quarter, year, quarterly_csv, dir_903 = sys.argv[1:6]
    homeward = homeward_output(quarterly_csv, dir_903)
    report = {"rows": {"missing": len(homeward["ssda903"]["missing"]), "header": len(homeward["ssda903"]["header"]),
                       "quarterly_episodes": sum(r[1] for r in homeward["quarterly"].values())}}
    for name, run in (("duckdb", duck), ("pandas", pandas_run)):
        figures, seconds = run(csv_dir, quarter, year)
        report[name] = {
            "seconds": seconds,
            "quarterly_agrees": figures["quarterly"] == homeward["quarterly"],
            "ssda903_agrees": all(figures["ssda903"][k] == homeward["ssda903"][k] for k in ("header", "episodes", "missing")),
        }
        if not report[name]["quarterly_agrees"]:
            diff = {k: (figures["quarterly"].get(k), homeward["quarterly"].get(k)) for k in set(figures["quarterly"]) | set(homeward["quarterly"]) if figures["quarterly"].get(k) != homeward["quarterly"].get(k)}
            report[name]["quarterly_diff"] = dict(list(diff.items())[:3])
        for k in ("header", "episodes", "missing"):
            if figures["ssda903"][k] != homeward["ssda903"][k]:
                a, b = set(figures["ssda903"][k]), set(homeward["ssda903"][k])
                report[name][f"ssda903_{k}_diff"] = {"only_here": sorted(a - b)[:3], "only_homeward": sorted(b - a)[:3]}
    print(json.dumps(report))


if __name__ == "__main__":
    main()
