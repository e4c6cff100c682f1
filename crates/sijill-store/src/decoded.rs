//! Reading and decoding a stretch of the log with both halves busy at once.

use sijill_domain::Event;
use thiserror::Error;

use crate::codec::{self, CodecError};
use crate::error::StoreError;
use crate::limits::PAGE_EVENTS_MAX;
use crate::store::EventStore;
use crate::stored::StoredEvent;

/// Why [`read_decoded`] stopped.
#[derive(Debug, Error)]
pub enum ReadDecodeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Codec(#[from] CodecError),
}

/// Pages at least this long are decoded on two threads; below, a thread costs more than it
/// saves (decoding takes about a microsecond an event, starting a thread some tens).
pub const DECODE_SPLIT_EVENTS_MIN: usize = 512;

/// Decodes a page of stored events into domain events, in order. A page of at least
/// [`DECODE_SPLIT_EVENTS_MIN`] events is split in two halves decoded at once, the second on a
/// scoped thread. On an error, names the first undecodable position.
pub fn decode_page(page: &[StoredEvent]) -> Result<Vec<Event>, CodecError> {
    let decode_all = |events: &[StoredEvent]| -> Result<Vec<Event>, CodecError> {
        events.iter().map(codec::decode).collect()
    };
    if page.len() < DECODE_SPLIT_EVENTS_MIN {
        return decode_all(page);
    }
    let (first, second) = page.split_at(page.len() / 2);
    let (first, second) = std::thread::scope(|scope| {
        let second = scope.spawn(|| decode_all(second));
        let first = decode_all(first);
        // A panic while decoding is a bug; let it surface here as it would have without a thread.
        let second = second
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (first, second)
    });
    let mut events = first?;
    events.extend(second?);
    Ok(events)
}

/// Reads the events `from..=to` in pages of `page_events` (at most `PAGE_EVENTS_MAX`) and
/// decodes each, calling `each` with the stored event and its domain event, in order.
///
/// The next page is read while the current one is decoded, and a page is decoded on two
/// threads ([`decode_page`]): on sled the read runs on tokio's blocking pool, so both cores
/// share the work. Decoding (the domain's deserializers check every name and handle) costs
/// more than reading, hence the split. The calling task is busy while a page is decoded,
/// some milliseconds for a full page.
pub async fn read_decoded<S>(
    store: &S,
    from: u64,
    to: u64,
    page_events: usize,
    mut each: impl FnMut(&StoredEvent, Event),
) -> Result<(), ReadDecodeError>
where
    S: EventStore + ?Sized,
{
    let page_events = page_events.clamp(1, PAGE_EVENTS_MAX);
    let want =
        |next: u64| usize::try_from(to - next + 1).map_or(page_events, |n| n.min(page_events));
    let mut next = from.max(1);
    if next > to {
        return Ok(());
    }
    let mut page = checked_page(store.read(next, want(next)).await?, next)?;
    loop {
        let after = next + page.len() as u64;
        let decode = async {
            for (stored, event) in page.iter().zip(decode_page(&page)?) {
                each(stored, event);
            }
            Ok::<(), CodecError>(())
        };
        if after > to {
            return Ok(decode.await?);
        }
        let (read, decoded) = futures::join!(store.read(after, want(after)), decode);
        decoded?;
        page = checked_page(read?, after)?;
        next = after;
    }
}

/// The page read at `from`, if it starts there and has no gap (a store bug or a damaged log
/// must not shift every later position).
fn checked_page(page: Vec<StoredEvent>, from: u64) -> Result<Vec<StoredEvent>, StoreError> {
    let missing = (from..).zip(&page).find(|(p, e)| e.position() != *p);
    let position = match missing {
        Some((position, _)) => position,
        None if page.is_empty() => from,
        None => return Ok(page),
    };
    Err(StoreError::Corrupt {
        position,
        detail: "event is missing".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CommandId, MemoryStore, NewBatch};
    use chrono::Utc;
    use uuid::Uuid;

    fn registered(i: u64) -> Event {
        let event = format!(
            r#"{{"person":"{}","handle":"@person-{i}","name":{{"text":"Person {i}"}},"gender":null}}"#,
            Uuid::from_u128(u128::from(i) + 1)
        );
        codec::decode_parts("person_registered", 2, event.as_bytes()).unwrap()
    }

    async fn store_with(events: u64, bad: &[u64]) -> MemoryStore {
        let store = MemoryStore::new();
        for i in 1..=events {
            let mut event = codec::new_event(&registered(i), Uuid::now_v7());
            if bad.contains(&i) {
                event.payload = br#"{"person":7}"#.to_vec();
            }
            let batch = NewBatch {
                command_id: CommandId::new(format!("c{i}")).unwrap(),
                actor: "registrar".into(),
                source: None,
                recorded_at: Utc::now(),
                events: vec![event],
            };
            store.append(batch, i - 1).await.unwrap();
        }
        store
    }

    #[tokio::test]
    async fn every_event_in_the_range_is_decoded_once_in_order_across_pages() {
        let store = store_with(10, &[]).await;
        let mut seen = Vec::new();
        read_decoded(&store, 2, 9, 3, |stored, event| {
            assert_eq!(event, registered(stored.position()));
            seen.push(stored.position());
        })
        .await
        .unwrap();
        assert_eq!(seen, (2..=9).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn an_undecodable_event_stops_the_read_naming_its_position() {
        let store = store_with(7, &[5]).await;
        let mut seen = Vec::new();
        let err = read_decoded(&store, 1, 7, 2, |stored, _| seen.push(stored.position()))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, ReadDecodeError::Codec(e) if e.position == 5),
            "{err}"
        );
        assert_eq!(seen, [1, 2, 3, 4]);
    }

    #[tokio::test]
    async fn a_split_page_decodes_like_one_event_after_the_other() {
        let events = DECODE_SPLIT_EVENTS_MIN as u64 + 3;
        let store = store_with(events, &[]).await;
        let page = store.read(1, events as usize).await.unwrap();
        let one_by_one: Vec<Event> = page.iter().map(|e| codec::decode(e).unwrap()).collect();
        assert_eq!(decode_page(&page).unwrap(), one_by_one);
    }

    #[tokio::test]
    async fn a_split_page_names_its_first_undecodable_event() {
        let events = DECODE_SPLIT_EVENTS_MIN as u64;
        let only_second = store_with(events, &[events - 1]).await;
        let page = only_second.read(1, events as usize).await.unwrap();
        assert_eq!(decode_page(&page).unwrap_err().position, events - 1);
        // With one in each half, the first half's is reported.
        let both = store_with(events, &[2, events - 1]).await;
        let page = both.read(1, events as usize).await.unwrap();
        assert_eq!(decode_page(&page).unwrap_err().position, 2);
    }

    #[tokio::test]
    async fn a_range_past_the_head_is_missing_from_the_head_on() {
        let store = store_with(4, &[]).await;
        let err = read_decoded(&store, 1, 6, 3, |_, _| {}).await.unwrap_err();
        assert!(
            matches!(
                &err,
                ReadDecodeError::Store(StoreError::Corrupt { position: 5, .. })
            ),
            "{err}"
        );
    }
}
