//! The bulk read behind the pattern views (repeat cohort, hotspots, children missing together):
//! every child an authority may see, whole, in one query per table rather than one file at a
//! time. Expanded once per backend after [`crate::rows::impl_rows!`], whose row readers and
//! column lists it reuses.

/// Implements [`crate::Patterns`] for a store type with a `pool` field.
macro_rules! impl_patterns {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl crate::Patterns for $store {
            async fn pattern_files(&self, authority_id: AuthorityId) -> Result<Vec<PatternFile>> {
                // The children the access rule lets the authority see, as the lists read them.
                const SCOPE: &str = "SELECT child_id FROM child_visibility WHERE authority_id = $1";
                let mut conn = self.pool.acquire().await?;
                let children = sqlx::query(sqlx::AssertSqlSafe(format!("{CHILD} WHERE id IN ({SCOPE}) ORDER BY id")))
                    .bind(authority_id)
                    .fetch_all(&mut *conn)
                    .await?
                    .iter()
                    .map(child_row)
                    .collect::<Result<Vec<_>>>()?;
                let placements = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "{PLACEMENT} WHERE ends_on IS NULL AND child_id IN ({SCOPE}) ORDER BY id"
                )))
                .bind(authority_id)
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(placement_row)
                .collect::<Result<Vec<_>>>()?;
                let episodes = sqlx::query(sqlx::AssertSqlSafe(format!("{EPISODE} WHERE child_id IN ({SCOPE}) ORDER BY id")))
                    .bind(authority_id)
                    .fetch_all(&mut *conn)
                    .await?
                    .iter()
                    .map(episode_row)
                    .collect::<Result<Vec<_>>>()?;
                let events = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "{EVENT} WHERE episode_id IN (SELECT id FROM episodes WHERE child_id IN ({SCOPE})) ORDER BY id"
                )))
                .bind(authority_id)
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(event_row)
                .collect::<Result<Vec<_>>>()?;
                let documents = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT d.id, d.child_id, d.kind, d.version, d.body, d.recorded_by, d.recorded_at FROM child_documents d \
                     WHERE d.child_id IN ({SCOPE}) \
                     AND d.version = (SELECT MAX(l.version) FROM child_documents l WHERE l.child_id = d.child_id AND l.kind = d.kind) \
                     ORDER BY d.child_id, d.kind"
                )))
                .bind(authority_id)
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(document_row)
                .collect::<Result<Vec<_>>>()?;
                let authorities = sqlx::query(AUTHORITY)
                    .fetch_all(&mut *conn)
                    .await?
                    .iter()
                    .map(authority_row)
                    .collect::<Result<Vec<_>>>()?;
                Ok(crate::patterns::assemble(children, placements, episodes, events, documents, &authorities))
            }
        }
    };
}

pub(crate) use impl_patterns;

use crate::model::{
    Authority, AuthorityId, Child, ChildFile, ChildId, Document, Episode, EpisodeId, EventRecord,
    PatternFile, Placement,
};

/// Groups rows (each list ordered by ID) into one file per child; each file names only the
/// authorities its placement and episodes refer to, as `Children::child_file` does.
pub(crate) fn assemble(
    children: Vec<Child>,
    placements: Vec<Placement>,
    episodes: Vec<Episode>,
    events: Vec<EventRecord>,
    documents: Vec<Document>,
    authorities: &[Authority],
) -> Vec<PatternFile> {
    use std::collections::HashMap;
    let mut files: Vec<PatternFile> = Vec::with_capacity(children.len());
    let mut index: HashMap<ChildId, usize> = HashMap::with_capacity(children.len());
    for child in children {
        index.insert(child.id, files.len());
        files.push(PatternFile {
            file: ChildFile {
                child,
                placement: None,
                episodes: Vec::new(),
                events: Vec::new(),
                authorities: Vec::new(),
            },
            documents: Vec::new(),
        });
    }
    // The newest open placement wins, as in `child_file`.
    for p in placements {
        if let Some(&i) = index.get(&p.child_id) {
            files[i].file.placement = Some(p);
        }
    }
    let mut episode_child: HashMap<EpisodeId, usize> = HashMap::new();
    for e in episodes {
        if let Some(&i) = index.get(&e.child_id) {
            episode_child.insert(e.id, i);
            files[i].file.episodes.push(e);
        }
    }
    for e in events {
        if let Some(&i) = episode_child.get(&e.episode_id) {
            files[i].file.events.push(e);
        }
    }
    for d in documents {
        if let Some(&i) = index.get(&d.child_id) {
            files[i].documents.push(d);
        }
    }
    for f in &mut files {
        let mut ids: Vec<AuthorityId> = f
            .file
            .placement
            .iter()
            .flat_map(|p| [p.responsible_authority_id, p.host_authority_id])
            .collect();
        for e in &f.file.episodes {
            ids.extend([e.responsible_authority_id, e.host_authority_id]);
            ids.extend(e.finder_authority_id);
        }
        f.file.authorities = authorities
            .iter()
            .filter(|a| ids.contains(&a.id))
            .cloned()
            .collect();
    }
    files
}
