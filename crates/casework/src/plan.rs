//! A child's plan after any change: what the store writes, inside the change's transaction, so
//! that stored obligations, the lists and the scheduler never disagree with the events.
//!
//! Obligations keep their identity. An obligation is the same one for as long as the engine
//! gives an obligation of the same rule (and share) on the same episode from the same
//! activation; when a correction moves its activation, the obligations of that rule on that
//! episode pair up in order of activation, so a corrected date keeps the ID too. A stored
//! obligation is updated in place when its deadline, owner or state changes, and never
//! deleted: met (the engine says when) or no longer given, it ends and stays readable.

use std::collections::HashMap;

use jiff::Timestamp;
use protocol::vocabulary::Share;
use protocol::{Calendar, Catalog};
use store::{
    ChildFile, ChildPlan, Ended, EpisodeId, EpisodeStatus, Instant, NewObligation, ObligationId,
    ObligationRecord,
};

use crate::evaluation::{self, Evaluated};

/// The child's plan at `now`, given its stored obligations; the scheduler looks at the child
/// again at `next_check`.
pub fn plan(
    catalog: &Catalog,
    calendar: &Calendar,
    file: &ChildFile,
    stored: &[ObligationRecord],
    now: Timestamp,
    next_check: Option<Instant>,
) -> Result<ChildPlan, String> {
    let evaluated =
        evaluation::evaluate(catalog, calendar, file, now).map_err(|e| e.to_string())?;
    Ok(plan_evaluated(
        catalog, file, stored, &evaluated, now, next_check,
    ))
}

/// [`plan`] for a file already evaluated at `now` (the scheduler reads the evaluation for its
/// messages too).
pub fn plan_evaluated(
    catalog: &Catalog,
    file: &ChildFile,
    stored: &[ObligationRecord],
    evaluated: &Evaluated,
    now: Timestamp,
    next_check: Option<Instant>,
) -> ChildPlan {
    let at = Instant::from(now);
    let mut computed: Vec<NewObligation> = evaluated
        .open
        .iter()
        .map(|(o, episode)| evaluation::open_obligation(catalog, file, o, *episode))
        .collect();
    computed.extend(evaluated.met.iter().map(|(m, episode)| NewObligation {
        met_at: Some(m.at.into()),
        ended: Some(Ended::Discharged),
        ended_at: Some(at),
        ..evaluation::stored_obligation(
            catalog,
            file,
            m.rule,
            m.share,
            *episode,
            m.activation,
            m.due,
        )
    }));
    let episodes = episode_statuses(file, evaluated, &computed);
    ChildPlan {
        obligations: reconcile(computed, stored, at),
        episodes,
        visible_to: crate::access::authorities_of(file),
        next_check,
        next_change: evaluated.next_change.map(Instant::from),
    }
}

impl crate::Casework {
    /// The planner every change passes to the store: the child's plan at `now`, with the
    /// scheduler looking at the child at once (what fell due may need telling).
    pub(crate) fn planner(
        &self,
        now: Timestamp,
    ) -> impl Fn(&ChildFile, &[ObligationRecord]) -> Result<ChildPlan, String> + Sync + '_ {
        move |file: &ChildFile, stored: &[ObligationRecord]| {
            plan(
                self.catalog(),
                self.calendar(),
                file,
                stored,
                now,
                Some(Instant::from(now)),
            )
        }
    }
}

/// What makes two answers of the engine the same obligation.
type Identity<'a> = (EpisodeId, &'a str, Option<Share>);

fn identity(o: &NewObligation) -> Identity<'_> {
    (o.episode_id, o.rule.as_str(), o.share)
}

/// Pairs the engine's obligations with the stored ones and returns the writes: new
/// obligations, stored ones whose content changed, and stored open ones the engine no longer
/// gives (ended at `now`). Unchanged ones are left out.
pub fn reconcile(
    computed: Vec<NewObligation>,
    stored: &[ObligationRecord],
    now: Instant,
) -> Vec<(Option<ObligationId>, NewObligation)> {
    // Stored rows by identity and activation (oldest row first), taken as they are matched.
    let mut exact: HashMap<(Identity<'_>, Instant), Vec<usize>> = HashMap::new();
    for (i, s) in stored.iter().enumerate().rev() {
        exact
            .entry((identity(&s.obligation), s.obligation.activation))
            .or_default()
            .push(i);
    }
    let mut taken = vec![false; stored.len()];
    let mut matched: Vec<Option<usize>> = computed
        .iter()
        .map(|c| {
            let i = exact.get_mut(&(identity(c), c.activation))?.pop()?;
            taken[i] = true;
            Some(i)
        })
        .collect();
    // What is left of a rule on an episode pairs up in order of activation: a correction that
    // moved the activation keeps the obligation's ID.
    let mut left: HashMap<Identity<'_>, (Vec<usize>, Vec<usize>)> = HashMap::new();
    for (k, c) in computed.iter().enumerate() {
        if matched[k].is_none() {
            left.entry(identity(c)).or_default().0.push(k);
        }
    }
    for (i, s) in stored.iter().enumerate() {
        if !taken[i]
            && s.is_open()
            && let Some(entry) = left.get_mut(&identity(&s.obligation))
        {
            entry.1.push(i);
        }
    }
    for (mut new, mut old) in left.into_values() {
        new.sort_by_key(|k| computed[*k].activation);
        old.sort_by_key(|i| (stored[*i].obligation.activation, stored[*i].id));
        for (k, i) in new.into_iter().zip(old) {
            matched[k] = Some(i);
            taken[i] = true;
        }
    }
    let mut writes = Vec::new();
    for (mut c, m) in computed.into_iter().zip(matched) {
        match m {
            None => writes.push((None, c)),
            Some(i) => {
                let s = &stored[i];
                // An obligation that had already ended the same way keeps when it ended.
                if c.ended.is_some() && c.ended == s.obligation.ended {
                    c.ended_at = s.obligation.ended_at;
                }
                if c != s.obligation {
                    writes.push((Some(s.id), c));
                }
            }
        }
    }
    for (i, s) in stored.iter().enumerate() {
        if !taken[i] && s.is_open() {
            writes.push((
                Some(s.id),
                NewObligation {
                    ended: Some(Ended::NoLongerApplies),
                    ended_at: Some(now),
                    ..s.obligation.clone()
                },
            ));
        }
    }
    writes
}

/// Each stored episode as the lists show it: missing or found, since when, the latest risk
/// grading, the return interview, and the earliest open deadline. An episode without events is
/// missing from the moment it was opened.
fn episode_statuses(
    file: &ChildFile,
    evaluated: &Evaluated,
    computed: &[NewObligation],
) -> Vec<EpisodeStatus> {
    file.episodes
        .iter()
        .map(|e| {
            let next_due = computed
                .iter()
                .filter(|o| o.episode_id == e.id && o.ended.is_none())
                .filter_map(|o| o.due.map(|d| (d, o.rule.clone())))
                .min();
            let read = evaluated
                .episodes
                .iter()
                .find(|(stored, _)| *stored == e.id)
                .map(|(_, ep)| ep);
            match read {
                Some(ep) => {
                    let found = ep.t_found.map(Instant::from);
                    EpisodeStatus {
                        episode_id: e.id,
                        child_id: file.child.id,
                        missing: found.is_none(),
                        since: ep.t_abs.or(ep.t_rep).unwrap_or(ep.t_start).into(),
                        found_at: found,
                        risk: ep.latest_grade.map(|(_, r)| r),
                        rhi_at: ep.t_rhi.map(Instant::from),
                        next_due,
                    }
                }
                None => EpisodeStatus {
                    episode_id: e.id,
                    child_id: file.child.id,
                    missing: true,
                    since: e.opened_at,
                    found_at: None,
                    risk: None,
                    rhi_at: None,
                    next_due,
                },
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use store::{AuthorityId, ChildId};

    use super::*;

    fn at(h: i64) -> Instant {
        Instant::from_micros(h * 3_600_000_000)
    }

    fn obligation(rule: &str, activation: i64, due: Option<i64>) -> NewObligation {
        NewObligation {
            episode_id: EpisodeId(7),
            authority_id: AuthorityId(1),
            rule: rule.into(),
            share: None,
            owner_role: None,
            action: "do it".into(),
            citation: "§1".into(),
            activation: at(activation),
            due: due.map(at),
            met_at: None,
            ended: None,
            ended_at: None,
        }
    }

    fn stored(id: i64, o: NewObligation) -> ObligationRecord {
        ObligationRecord {
            id: ObligationId(id),
            child_id: ChildId(1),
            obligation: o,
            computed_at: at(0),
        }
    }

    #[test]
    fn unchanged_obligations_write_nothing() {
        let s = [stored(1, obligation("A", 1, Some(3)))];
        assert!(reconcile(vec![obligation("A", 1, Some(3))], &s, at(5)).is_empty());
    }

    #[test]
    fn a_moved_deadline_or_a_met_obligation_keeps_its_id() {
        let s = [
            stored(1, obligation("A", 1, Some(3))),
            stored(2, obligation("B", 1, Some(4))),
        ];
        let met = NewObligation {
            met_at: Some(at(2)),
            ended: Some(Ended::Discharged),
            ended_at: Some(at(5)),
            ..obligation("B", 1, Some(4))
        };
        let writes = reconcile(vec![obligation("A", 1, Some(9)), met.clone()], &s, at(5));
        assert_eq!(
            writes,
            vec![
                (Some(ObligationId(1)), obligation("A", 1, Some(9))),
                (Some(ObligationId(2)), met)
            ]
        );
    }

    #[test]
    fn a_corrected_activation_keeps_the_id_and_a_new_occurrence_is_new() {
        // Stored: rule A activated at 1 and at 10. The correction moves the first to 2; a third
        // occurrence appears at 20.
        let s = [
            stored(1, obligation("A", 1, None)),
            stored(2, obligation("A", 10, None)),
        ];
        let writes = reconcile(
            vec![
                obligation("A", 2, None),
                obligation("A", 10, None),
                obligation("A", 20, None),
            ],
            &s,
            at(30),
        );
        assert_eq!(
            writes,
            vec![
                (Some(ObligationId(1)), obligation("A", 2, None)),
                (None, obligation("A", 20, None)),
            ]
        );
    }

    #[test]
    fn what_the_engine_no_longer_gives_ends_and_an_ended_one_keeps_when() {
        let ended_before = NewObligation {
            ended: Some(Ended::NoLongerApplies),
            ended_at: Some(at(4)),
            ..obligation("C", 1, None)
        };
        let met_before = NewObligation {
            met_at: Some(at(2)),
            ended: Some(Ended::Discharged),
            ended_at: Some(at(3)),
            ..obligation("D", 1, None)
        };
        let s = [
            stored(1, obligation("A", 1, Some(3))),
            stored(2, ended_before),
            stored(3, met_before.clone()),
        ];
        // The engine gives D as met again (ended_at would be now): nothing to write.
        let again = NewObligation {
            ended_at: Some(at(9)),
            ..met_before
        };
        let writes = reconcile(vec![again], &s, at(9));
        assert_eq!(
            writes,
            vec![(
                Some(ObligationId(1)),
                NewObligation {
                    ended: Some(Ended::NoLongerApplies),
                    ended_at: Some(at(9)),
                    ..obligation("A", 1, Some(3))
                }
            )]
        );
    }

    #[test]
    fn an_obligation_given_again_reopens_its_row() {
        let s = [stored(
            1,
            NewObligation {
                ended: Some(Ended::NoLongerApplies),
                ended_at: Some(at(4)),
                ..obligation("A", 1, Some(3))
            },
        )];
        let writes = reconcile(vec![obligation("A", 1, Some(3))], &s, at(9));
        assert_eq!(
            writes,
            vec![(Some(ObligationId(1)), obligation("A", 1, Some(3)))]
        );
    }
}
