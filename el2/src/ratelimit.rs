//! Bounding what a guest can make L0 print. Every log line a guest can
//! trigger goes through a [`RateLimit`] of its own call site: the first
//! [`BURST`] occurrences are printed, then only the 2^k-th ones with the
//! number left out, so a guest that triggers one a million times costs
//! about 20 lines.

use core::sync::atomic::{AtomicU64, Ordering};

/// Occurrences printed before the limiter thins them out.
pub const BURST: u64 = 8;

/// The state of one call site.
#[derive(Debug)]
pub struct RateLimit {
    seen: AtomicU64,
}

impl RateLimit {
    /// A limiter that has seen nothing.
    pub const fn new() -> Self {
        RateLimit {
            seen: AtomicU64::new(0),
        }
    }

    /// Counts one occurrence. `Some(n)` when it is to be printed, `n` being
    /// how many were left out since the last printed one.
    pub fn check(&self) -> Option<u64> {
        let k = self.seen.fetch_add(1, Ordering::Relaxed) + 1;
        if k <= BURST {
            Some(0)
        } else if k.is_power_of_two() {
            Some(k / 2 - 1)
        } else {
            None
        }
    }

    /// Occurrences so far.
    pub fn seen(&self) -> u64 {
        self.seen.load(Ordering::Relaxed)
    }
}

impl Default for RateLimit {
    fn default() -> Self {
        Self::new()
    }
}

/// `log::warn!` for guest-triggered events, limited per call site.
#[macro_export]
macro_rules! guest_warn {
    ($($arg:tt)*) => {{
        static LIMIT: $crate::ratelimit::RateLimit = $crate::ratelimit::RateLimit::new();
        if let Some(skipped) = LIMIT.check() {
            if skipped == 0 {
                log::warn!($($arg)*);
            } else {
                log::warn!("{} ({} more like it not shown)", format_args!($($arg)*), skipped);
            }
        }
    }};
}

/// `log::info!` for guest-requested output, limited per call site.
#[macro_export]
macro_rules! guest_info {
    ($($arg:tt)*) => {{
        static LIMIT: $crate::ratelimit::RateLimit = $crate::ratelimit::RateLimit::new();
        if LIMIT.check().is_some() {
            log::info!($($arg)*);
        }
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_million_occurrences_cost_a_few_lines() {
        let l = RateLimit::new();
        let printed: std::vec::Vec<(u64, u64)> = (1..=1_000_000u64)
            .filter_map(|k| l.check().map(|s| (k, s)))
            .collect();
        assert_eq!(printed.len(), 8 + 16); // 1..=8, then 16, 32, ..., 2^19
        assert_eq!(printed[7], (8, 0));
        assert_eq!(printed[8], (16, 7));
        assert_eq!(printed[9], (32, 15));
        assert_eq!(l.seen(), 1_000_000);
        // Every occurrence is accounted for: printed, or counted as left out.
        let skipped: u64 = printed.iter().map(|p| p.1).sum();
        assert_eq!(
            skipped + printed.len() as u64 + (1_000_000 - 524_288),
            1_000_000
        );
    }
}
