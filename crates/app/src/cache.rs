//! A short-lived in-process map for reads that hot paths repeat thousands of times a second
//! (an authentication, an integration with its secrets opened). An entry is served for a
//! fixed time after it was read; this process forgets entries when it changes what they
//! hold, and changes made elsewhere (another instance, the CLI) show within that time.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Past this many entries a map starts over rather than grow.
pub const MAX_ENTRIES: usize = 10_000;

#[derive(Debug)]
pub struct ShortLived<K, V> {
    fresh_for: Duration,
    entries: Mutex<HashMap<K, (Instant, V)>>,
}

impl<K: Eq + Hash, V: Clone> ShortLived<K, V> {
    #[must_use]
    pub fn new(fresh_for: Duration) -> Self {
        Self { fresh_for, entries: Mutex::new(HashMap::new()) }
    }

    fn entries(&self) -> MutexGuard<'_, HashMap<K, (Instant, V)>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The value kept for `key`, while it is fresh.
    #[must_use]
    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        let entries = self.entries();
        let (read_at, value) = entries.get(key)?;
        (read_at.elapsed() < self.fresh_for).then(|| value.clone())
    }

    pub fn put(&self, key: K, value: V) {
        let mut entries = self.entries();
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key, (Instant::now(), value));
    }

    pub fn forget<Q>(&self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        self.entries().remove(key);
    }

    pub fn forget_all(&self) {
        self.entries().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serves_a_value_until_it_is_stale_or_forgotten() {
        let map = ShortLived::new(Duration::from_secs(60));
        map.put(1, "one");
        map.put(2, "two");
        assert_eq!(map.get(&1), Some("one"));
        map.forget(&1);
        assert_eq!(map.get(&1), None);
        assert_eq!(map.get(&2), Some("two"));
        map.forget_all();
        assert_eq!(map.get(&2), None);

        let stale = ShortLived::new(Duration::ZERO);
        stale.put(1, "one");
        assert_eq!(stale.get(&1), None);
    }

    #[test]
    fn starts_over_rather_than_grow_past_its_bound() {
        let map = ShortLived::new(Duration::from_secs(60));
        for n in 0..=MAX_ENTRIES {
            map.put(n, n);
        }
        assert_eq!(map.get(&0), None);
        assert_eq!(map.get(&MAX_ENTRIES), Some(MAX_ENTRIES));
    }
}
