//! Group commit for the audit rows of reads: concurrent reads hand their rows to one writer task,
//! which appends whatever has queued up in a single transaction. Each read still waits until its
//! row is committed, so nothing is served unaudited, but readers no longer queue one by one for
//! the database's write lock.

use std::sync::Arc;

use store::{AuditEntry, Store};
use tokio::sync::{mpsc, oneshot};

use crate::CaseError;

type Reply = oneshot::Sender<Result<(), String>>;

/// Handle to the audit writer task.
#[derive(Clone)]
pub struct AuditWriter {
    queue: mpsc::Sender<(Vec<AuditEntry>, Reply)>,
}

/// Most rows committed together.
const BATCH: usize = 512;

impl AuditWriter {
    /// Starts the writer task on the current runtime.
    pub fn start(store: Arc<dyn Store>) -> Self {
        let (queue, mut rx) = mpsc::channel::<(Vec<AuditEntry>, Reply)>(4096);
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut entries = first.0;
                let mut replies = vec![first.1];
                while entries.len() < BATCH {
                    match rx.try_recv() {
                        Ok((more, reply)) => {
                            entries.extend(more);
                            replies.push(reply);
                        }
                        Err(_) => break,
                    }
                }
                let result = store.audit(&entries).await.map_err(|e| e.to_string());
                for reply in replies {
                    let _ = reply.send(result.clone());
                }
            }
        });
        Self { queue }
    }

    /// Appends rows and waits until they are committed.
    pub async fn record(&self, entries: Vec<AuditEntry>) -> Result<(), CaseError> {
        if entries.is_empty() {
            return Ok(());
        }
        let (reply, done) = oneshot::channel();
        self.queue
            .send((entries, reply))
            .await
            .map_err(|_| CaseError::internal("the audit writer has stopped"))?;
        done.await
            .map_err(|_| CaseError::internal("the audit writer has stopped"))?
            .map_err(CaseError::internal)
    }
}
