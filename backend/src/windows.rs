//! The soonest service windows across many bookings: the upcoming list, the calendar feed and the
//! morning digest all list "the first N windows in a range", expanding only about N per booking.

use chrono::{DateTime, Utc};
use domain::Occurrence;

use crate::db;

/// The `limit` windows in `[from, to)` across `bookings` that `keep` accepts, soonest first (ties
/// by booking number), each with the index of its booking. Only about `limit` windows per booking
/// are expanded, however long the bookings run.
pub fn soonest_windows(
    bookings: &[db::Booking],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: usize,
    keep: impl Fn(&Occurrence) -> bool + Copy,
) -> Vec<(usize, Occurrence)> {
    let lists = bookings.iter().enumerate().map(|(i, booking)| {
        booking
            .schedule
            .occurrences_between(booking.zone.tz(), from, to)
            .filter(move |o| keep(o))
            .map(move |o| ((o.opens, booking.id), (i, o)))
    });
    smallest_of_sorted(lists, limit)
        .into_iter()
        .map(|(_, window)| window)
        .collect()
}

/// The `limit` smallest items of several lists, each already in ascending order of its key, in
/// order. Keeps only `limit` items at a time and stops reading a list at its first item larger than
/// all of them: the work stays near `limit` per list however long the lists are.
fn smallest_of_sorted<K: Ord, T>(
    lists: impl IntoIterator<Item = impl IntoIterator<Item = (K, T)>>,
    limit: usize,
) -> Vec<(K, T)> {
    /// An item kept, ordered by its key only: the heap's top is the largest kept.
    struct Kept<K, T>(K, T);
    impl<K: Ord, T> PartialEq for Kept<K, T> {
        fn eq(&self, other: &Self) -> bool {
            self.0 == other.0
        }
    }
    impl<K: Ord, T> Eq for Kept<K, T> {}
    impl<K: Ord, T> PartialOrd for Kept<K, T> {
        fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
            Some(self.cmp(other))
        }
    }
    impl<K: Ord, T> Ord for Kept<K, T> {
        fn cmp(&self, other: &Self) -> std::cmp::Ordering {
            self.0.cmp(&other.0)
        }
    }

    let mut kept: std::collections::BinaryHeap<Kept<K, T>> =
        std::collections::BinaryHeap::with_capacity(limit.saturating_add(1));
    for list in lists {
        for (key, item) in list {
            if kept.len() >= limit {
                match kept.peek() {
                    Some(largest) if key < largest.0 => {
                        kept.pop();
                    }
                    // The rest of this list is larger still.
                    _ => break,
                }
            }
            kept.push(Kept(key, item));
        }
    }
    kept.into_sorted_vec()
        .into_iter()
        .map(|Kept(key, item)| (key, item))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::smallest_of_sorted;
    use proptest::prelude::*;

    proptest! {
        /// The same items as sorting everything and taking the first `limit`.
        #[test]
        fn the_smallest_of_sorted_lists_are_found(
            mut lists in proptest::collection::vec(proptest::collection::vec(0u32..500, 0..60), 0..12),
            limit in 0usize..80,
        ) {
            for list in &mut lists {
                list.sort_unstable();
            }
            let mut everything: Vec<(u32, usize)> = lists
                .iter()
                .enumerate()
                .flat_map(|(n, list)| list.iter().map(move |k| (*k, n)))
                .collect();
            everything.sort_unstable();
            everything.truncate(limit);
            let tagged = lists
                .iter()
                .enumerate()
                .map(|(n, list)| list.iter().map(move |k| ((*k, n), ())));
            let found: Vec<(u32, usize)> = smallest_of_sorted(tagged, limit)
                .into_iter()
                .map(|(key, ())| key)
                .collect();
            prop_assert_eq!(found, everything);
        }
    }
}
