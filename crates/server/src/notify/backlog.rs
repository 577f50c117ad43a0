//! Each target's backlog as its delivery worker last counted it, with the target's policy: what
//! a write consults (without a store read) to refuse events a blocked target cannot take.

use super::targets::{BacklogPolicy, OnBacklog};
use std::collections::HashMap;
use std::sync::Mutex;

/// Backlog counts and policies by target.
#[derive(Default)]
pub struct Backlogs(Mutex<HashMap<String, (u64, BacklogPolicy)>>);

impl Backlogs {
    /// The worker counted `count` undelivered events for `target`. Logs a warning when the count
    /// crosses the target's `backlog_max`, and again when it drains below it.
    pub fn counted(&self, target: &str, count: u64, policy: &BacklogPolicy) {
        let Ok(mut m) = self.0.lock() else {
            return;
        };
        let before = m.get(target).map_or(0, |(c, _)| *c);
        if let Some(max) = policy.backlog_max {
            if before <= max && count > max {
                tracing::warn!(target, count, backlog_max = max, on_backlog = ?policy.on_backlog, "notification backlog over its limit");
            } else if before > max && count <= max {
                tracing::info!(
                    target,
                    count,
                    backlog_max = max,
                    "notification backlog back under its limit"
                );
            }
        }
        m.insert(target.to_string(), (count, policy.clone()));
    }

    /// Whether writes emitting to `target` are refused: its policy blocks and its backlog is at
    /// or over the limit.
    pub fn blocks(&self, target: &str) -> bool {
        let Ok(m) = self.0.lock() else {
            return false;
        };
        m.get(target).is_some_and(|(count, p)| {
            p.on_backlog == OnBacklog::Block && p.backlog_max.is_some_and(|max| *count >= max)
        })
    }
}
