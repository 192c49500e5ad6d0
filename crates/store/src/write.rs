//! Writing children's plans: after any change to a child, inside its transaction, the child's
//! file is read back, the casework layer's [`crate::Recompute`] turns it into a
//! [`crate::ChildPlan`], and the plan is written — obligations inserted or updated in place
//! (never deleted, so an ID a page or a client holds stays valid), the lists' tables, who may
//! see the child, and the scheduler's row. A chunk of children is read in a few statements and
//! planned on every core, so the same path serves one event, an imported list and the demo.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::model::{ChildFile, ChildId, ChildPlan, ObligationRecord};
use crate::{Recompute, StoreError};

/// Plans every file of a chunk (on every core), each with its stored obligations.
pub(crate) fn plan_all(
    files: &[ChildFile],
    stored: &HashMap<ChildId, Vec<ObligationRecord>>,
    recompute: Recompute<'_>,
) -> Result<Vec<ChildPlan>, StoreError> {
    files
        .par_iter()
        .map(|file| {
            let own = stored.get(&file.child.id).map_or(&[][..], Vec::as_slice);
            let plan = recompute(file, own).map_err(StoreError::Evaluation)?;
            check_plan(file.child.id, own, &plan)?;
            Ok(plan)
        })
        .collect()
}

/// Refuses a plan that updates an obligation other than the child's own stored ones, or that
/// gives a stored obligation another identity. The upsert that writes updates would otherwise
/// insert a row under an ID the store never gave (one PostgreSQL's identity sequence would hand
/// out again later) or skip another child's obligation while writing the rest of the plan; and
/// it leaves an obligation's episode, rule and share as they were, so an ID always names the
/// same duty of the same episode.
pub(crate) fn check_plan(
    child: ChildId,
    stored: &[ObligationRecord],
    plan: &ChildPlan,
) -> Result<(), StoreError> {
    let own: std::collections::HashMap<_, _> =
        stored.iter().map(|o| (o.id, &o.obligation)).collect();
    for (id, o) in &plan.obligations {
        let Some(id) = id else { continue };
        match own.get(id) {
            None => {
                return Err(StoreError::Evaluation(format!(
                    "obligation {id} is not an obligation of child {child}"
                )));
            }
            Some(was)
                if (was.episode_id, &was.rule, was.share) != (o.episode_id, &o.rule, o.share) =>
            {
                return Err(StoreError::Evaluation(format!(
                    "obligation {id} is {} of episode {}, not {} of episode {}",
                    was.rule, was.episode_id, o.rule, o.episode_id
                )));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// The sort rank of a risk grading on Missing now: high first, ungraded last.
pub(crate) fn risk_rank(risk: Option<protocol::vocabulary::RiskLevel>) -> i64 {
    use protocol::vocabulary::RiskLevel;
    match risk {
        Some(RiskLevel::High) => 0,
        Some(RiskLevel::Medium) => 1,
        Some(RiskLevel::Low) => 2,
        Some(RiskLevel::NoApparentRisk) => 3,
        None => 4,
    }
}

/// Expands the plan writer for a connection type (after [`crate::rows::impl_rows!`]).
macro_rules! impl_write {
    ($conn:ty) => {
        /// The stored obligations (open and ended) of a chunk of children.
        async fn stored_obligations(
            conn: &mut $conn,
            chunk: &[ChildId],
        ) -> Result<std::collections::HashMap<ChildId, Vec<ObligationRecord>>> {
            let sql = format!("SELECT {OBLIGATION_COLUMNS} FROM obligations o WHERE o.child_id IN ({}) ORDER BY o.id", PH.list(1, chunk.len()));
            let mut out: std::collections::HashMap<ChildId, Vec<ObligationRecord>> = std::collections::HashMap::new();
            for r in bind_ids(sql, chunk).fetch_all(&mut *conn).await? {
                let o = obligation_row(&r)?;
                out.entry(o.child_id).or_default().push(o);
            }
            Ok(out)
        }

        /// Plans and writes every child of the list at `now`, a chunk at a time.
        async fn recompute_children(conn: &mut $conn, children: &[ChildId], now: Instant, recompute: crate::Recompute<'_>) -> Result<()> {
            // Each child once: a chunk's files are found by child, so a second mention would not be.
            let mut seen = std::collections::HashSet::with_capacity(children.len());
            let children: Vec<ChildId> = children.iter().copied().filter(|c| seen.insert(*c)).collect();
            let authorities = authorities_by_id(conn).await?;
            for chunk in children.chunks(rows_per(1)) {
                let files = load_child_files(conn, chunk, &authorities).await?;
                let stored = stored_obligations(conn, chunk).await?;
                let plans = crate::write::plan_all(&files, &stored, recompute)?;
                write_plans(conn, &files, &plans, now).await?;
            }
            Ok(())
        }

        /// Writes the plans of a chunk of files (each plan for the file at the same position).
        async fn write_plans(conn: &mut $conn, files: &[ChildFile], plans: &[ChildPlan], now: Instant) -> Result<()> {
            let ids: Vec<ChildId> = files.iter().map(|f| f.child.id).collect();
            // Obligations: new ones inserted, changed ones updated in place by ID.
            let mut inserts = Vec::new();
            let mut updates = Vec::new();
            for (file, plan) in files.iter().zip(plans) {
                for (id, o) in &plan.obligations {
                    match id {
                        None => inserts.push((file.child.id, o)),
                        Some(id) => updates.push((*id, file.child.id, o)),
                    }
                }
            }
            const COLUMNS: &str = "episode_id, child_id, authority_id, rule, share, owner_role, action, citation, activation, due, met_at, ended, ended_at, computed_at";
            for chunk in inserts.chunks(rows_per(14)) {
                let sql = format!("INSERT INTO obligations ({COLUMNS}) VALUES {}", PH.values(1, chunk.len(), 14));
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (child, o) in chunk {
                    q = q
                        .bind(o.episode_id)
                        .bind(*child)
                        .bind(o.authority_id)
                        .bind(&o.rule)
                        .bind(o.share.map(|s| s.as_str()))
                        .bind(o.owner_role.map_or("", |r| r.as_str()))
                        .bind(&o.action)
                        .bind(&o.citation)
                        .bind(o.activation)
                        .bind(o.due)
                        .bind(o.met_at)
                        .bind(o.ended)
                        .bind(o.ended_at)
                        .bind(now);
                }
                q.execute(&mut *conn).await?;
            }
            for chunk in updates.chunks(rows_per(15)) {
                // An upsert on the ID updates every listed row in one statement; every ID is
                // the child's own (the plan was made from the child's stored rows).
                let sql = format!(
                    "INSERT INTO obligations (id, {COLUMNS}) VALUES {} ON CONFLICT (id) DO UPDATE SET \
                     authority_id = excluded.authority_id, owner_role = excluded.owner_role, action = excluded.action, \
                     citation = excluded.citation, activation = excluded.activation, due = excluded.due, met_at = excluded.met_at, \
                     ended = excluded.ended, ended_at = excluded.ended_at, computed_at = excluded.computed_at \
                     WHERE obligations.child_id = excluded.child_id",
                    PH.values(1, chunk.len(), 15)
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (id, child, o) in chunk {
                    q = q
                        .bind(*id)
                        .bind(o.episode_id)
                        .bind(*child)
                        .bind(o.authority_id)
                        .bind(&o.rule)
                        .bind(o.share.map(|s| s.as_str()))
                        .bind(o.owner_role.map_or("", |r| r.as_str()))
                        .bind(&o.action)
                        .bind(&o.citation)
                        .bind(o.activation)
                        .bind(o.due)
                        .bind(o.met_at)
                        .bind(o.ended)
                        .bind(o.ended_at)
                        .bind(now);
                }
                q.execute(&mut *conn).await?;
            }

            // The lists' state of each episode and child, and who may see each child.
            let list = PH.list(1, ids.len());
            for table in ["missing_board", "episode_status", "child_visibility"] {
                bind_ids(format!("DELETE FROM {table} WHERE child_id IN ({list})"), &ids).execute(&mut *conn).await?;
            }
            let statuses: Vec<&EpisodeStatus> = plans.iter().flat_map(|p| &p.episodes).collect();
            for chunk in statuses.chunks(rows_per(10)) {
                let sql = format!(
                    "INSERT INTO episode_status (episode_id, child_id, missing, since, found_at, risk, risk_rank, rhi_at, next_due, next_rule) VALUES {}",
                    PH.values(1, chunk.len(), 10)
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for s in chunk {
                    q = q
                        .bind(s.episode_id)
                        .bind(s.child_id)
                        .bind(i64::from(s.missing))
                        .bind(s.since)
                        .bind(s.found_at)
                        .bind(s.risk.map(|r| r.as_str()))
                        .bind(crate::write::risk_rank(s.risk))
                        .bind(s.rhi_at)
                        .bind(s.next_due.as_ref().map(|d| d.0))
                        .bind(s.next_due.as_ref().map(|d| d.1.clone()));
                }
                q.execute(&mut *conn).await?;
            }
            let audiences: Vec<Vec<AuthorityId>> = plans
                .iter()
                .map(|p| {
                    let mut to = p.visible_to.clone();
                    to.sort();
                    to.dedup();
                    to
                })
                .collect();
            let visible: Vec<(AuthorityId, ChildId, String)> = files
                .iter()
                .zip(&audiences)
                .flat_map(|(f, to)| {
                    let key = crate::lists::name_key(&f.child.name);
                    to.iter().map(move |a| (*a, f.child.id, key.clone()))
                })
                .collect();
            for chunk in visible.chunks(rows_per(3)) {
                let sql = format!("INSERT INTO child_visibility (authority_id, child_id, name_key) VALUES {}", PH.values(1, chunk.len(), 3));
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (a, c, name) in chunk {
                    q = q.bind(*a).bind(*c).bind(name.as_str());
                }
                q.execute(&mut *conn).await?;
            }
            // Missing now, once for each authority that may see the child.
            let board: Vec<(AuthorityId, &EpisodeStatus)> = plans
                .iter()
                .zip(&audiences)
                .flat_map(|(p, to)| {
                    p.episodes
                        .iter()
                        .filter(|s| s.missing)
                        .flat_map(move |s| to.iter().map(move |a| (*a, s)))
                })
                .collect();
            for chunk in board.chunks(rows_per(5)) {
                let sql = format!(
                    "INSERT INTO missing_board (authority_id, risk_rank, since, episode_id, child_id) VALUES {}",
                    PH.values(1, chunk.len(), 5)
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (a, s) in chunk {
                    q = q
                        .bind(*a)
                        .bind(crate::write::risk_rank(s.risk))
                        .bind(s.since)
                        .bind(s.episode_id)
                        .bind(s.child_id);
                }
                q.execute(&mut *conn).await?;
            }
            let per_child: Vec<(ChildId, i64, bool, Option<Instant>, Option<Instant>)> = files
                .iter()
                .zip(plans)
                .map(|(f, p)| (f.child.id, p.episodes.len() as i64, p.episodes.iter().any(|e| e.missing), p.next_check, p.next_change))
                .collect();
            for chunk in per_child.chunks(rows_per(3)) {
                let sql = format!(
                    "INSERT INTO child_status (child_id, episodes, missing) VALUES {} \
                     ON CONFLICT (child_id) DO UPDATE SET episodes = excluded.episodes, missing = excluded.missing",
                    PH.values(1, chunk.len(), 3)
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (c, episodes, missing, _, _) in chunk {
                    q = q.bind(*c).bind(*episodes).bind(i64::from(*missing));
                }
                q.execute(&mut *conn).await?;
            }
            for chunk in per_child.chunks(rows_per(3)) {
                let sql = format!(
                    "INSERT INTO child_schedule (child_id, next_check, next_change) VALUES {} \
                     ON CONFLICT (child_id) DO UPDATE SET next_check = excluded.next_check, next_change = excluded.next_change",
                    PH.values(1, chunk.len(), 3)
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (c, _, _, check, change) in chunk {
                    q = q.bind(*c).bind(*check).bind(*change);
                }
                q.execute(&mut *conn).await?;
            }
            Ok(())
        }

        /// Plans one child inside a change's transaction and writes the plan.
        async fn replan(conn: &mut $conn, child_id: ChildId, now: Instant, recompute: crate::Recompute<'_>) -> Result<()> {
            recompute_children(conn, &[child_id], now, recompute).await
        }
    };
}

pub(crate) use impl_write;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AuthorityId, EpisodeId, Instant, NewObligation, ObligationId};

    fn duty(episode: i64, rule: &str) -> NewObligation {
        NewObligation {
            episode_id: EpisodeId(episode),
            authority_id: AuthorityId(1),
            rule: rule.into(),
            share: None,
            owner_role: None,
            action: "Hold a strategy meeting".into(),
            citation: "Protocol 4.1".into(),
            activation: Instant::from_micros(0),
            due: Some(Instant::from_micros(3_600_000_000)),
            met_at: None,
            ended: None,
            ended_at: None,
        }
    }

    fn stored(id: i64, episode: i64, rule: &str) -> ObligationRecord {
        ObligationRecord {
            id: ObligationId(id),
            child_id: ChildId(7),
            obligation: duty(episode, rule),
            computed_at: Instant::from_micros(0),
        }
    }

    fn plan(obligations: Vec<(Option<ObligationId>, NewObligation)>) -> ChildPlan {
        ChildPlan {
            obligations,
            ..ChildPlan::default()
        }
    }

    #[test]
    fn a_plan_may_move_the_deadline_of_its_own_obligation_or_add_new_ones() {
        let mut moved = duty(3, "X-STRAT");
        moved.due = Some(Instant::from_micros(7_200_000_000));
        let p = plan(vec![
            (Some(ObligationId(11)), moved),
            (None, duty(3, "X-RHI")),
        ]);
        assert!(check_plan(ChildId(7), &[stored(11, 3, "X-STRAT")], &p).is_ok());
    }

    #[test]
    fn a_plan_naming_another_childs_obligation_is_refused() {
        let p = plan(vec![(Some(ObligationId(12)), duty(3, "X-STRAT"))]);
        let refused =
            check_plan(ChildId(7), &[stored(11, 3, "X-STRAT")], &p).map_err(|e| e.to_string());
        assert_eq!(
            refused,
            Err("evaluation failed: obligation 12 is not an obligation of child 7".to_owned())
        );
    }

    #[test]
    fn a_plan_giving_an_obligation_another_rule_or_episode_is_refused() {
        let stored = [stored(11, 3, "X-STRAT")];
        for other in [duty(3, "X-RHI"), duty(4, "X-STRAT")] {
            let refused = check_plan(
                ChildId(7),
                &stored,
                &plan(vec![(Some(ObligationId(11)), other)]),
            )
            .map_err(|e| e.to_string());
            assert!(
                refused.as_ref().is_err_and(|e| e
                    .starts_with("evaluation failed: obligation 11 is X-STRAT of episode 3, not ")),
                "{refused:?}"
            );
        }
    }
}
