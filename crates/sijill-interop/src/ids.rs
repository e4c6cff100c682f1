//! Identifiers in the exchanged files.
//!
//! A Popolo `id` is the entity's handle without its `@` (`achraf-chahboun`), so `@` + id
//! resolves in sijill, and an import of an export keeps every id (the import turns each id
//! back into the same handle). A mandate has a handle only when one was given; otherwise its
//! id is `mandate-<uuid>`, which an import turns into the handle `@mandate-<uuid>`, so that id
//! survives a round trip too.
//!
//! RDF needs IRIs: entities are `urn:uuid:<uuid>` (RFC 4122's URN namespace), stable for as
//! long as the registry lives, whatever happens to names and handles.

use std::borrow::Cow;

use sijill_domain::ids::HANDLE_LEN_MAX;
use sijill_domain::{EntityId, Handle, Mandate};

/// The Popolo id of an entity with a handle.
pub fn of_handle(handle: &Handle) -> &str {
    &handle.as_str()[1..]
}

/// The Popolo id of a mandate: its handle's, else `mandate-<uuid>`.
pub fn of_mandate(mandate: &Mandate) -> Cow<'_, str> {
    match &mandate.handle {
        Some(handle) => Cow::Borrowed(of_handle(handle)),
        None => Cow::Owned(format!("mandate-{}", mandate.id.as_uuid())),
    }
}

/// The IRI of an entity in the RDF exports.
pub fn iri(id: EntityId) -> String {
    format!("urn:uuid:{}", id.as_uuid())
}

/// The handle an imported record gets: `@` + its id when that is a valid, unused handle;
/// otherwise one derived from the kind and the id, made unique with a short hash of the id.
/// `taken` says whether a handle is already given to an earlier record of the file.
pub fn handle_for(kind: &str, id: &str, taken: impl Fn(&Handle) -> bool) -> Handle {
    let mut text = String::with_capacity(id.len() + 1);
    text.push('@');
    text.push_str(id);
    if let Ok(handle) = Handle::parse(&text) {
        if !taken(&handle) {
            return handle;
        }
    }
    let readable = format!("@{kind}-{}", slug(id));
    if let Ok(handle) = Handle::parse(&readable) {
        if !taken(&handle) {
            return handle;
        }
    }
    hashed(kind, id)
}

/// `@kind-<slug prefix>-<8 hex digits of BLAKE3(kind, id)>`: always valid, unique unless
/// two ids collide in 32 bits of hash after sharing a prefix.
fn hashed(kind: &str, id: &str) -> Handle {
    const HASH_HEX: usize = 8;
    let digest = blake3::hash(format!("{kind}\u{0}{id}").as_bytes()).to_hex();
    let room = HANDLE_LEN_MAX - kind.len() - HASH_HEX - 2;
    let prefix: String = slug(id).chars().take(room).collect();
    let prefix = prefix.trim_end_matches('-');
    let text = if prefix.is_empty() {
        format!("@{kind}-{}", &digest[..HASH_HEX])
    } else {
        format!("@{kind}-{prefix}-{}", &digest[..HASH_HEX])
    };
    Handle::parse(&text).expect("a kind, a slug and hex digits make a valid handle")
}

/// Sorts records by their exported id (byte order).
///
/// On a national registry the ids (handles) are scattered over hundreds of megabytes, and a
/// comparison that follows two pointers misses the cache twice; the first 16 bytes of each
/// id, kept beside it, settle most comparisons without leaving the array being sorted.
pub fn sort_by_id<T>(items: Vec<T>, id: impl Fn(&T) -> &str) -> Vec<T> {
    let prefix = |text: &str| {
        let mut bytes = [0u8; 16];
        let len = text.len().min(16);
        bytes[..len].copy_from_slice(&text.as_bytes()[..len]);
        u128::from_be_bytes(bytes)
    };
    let mut keyed: Vec<(u128, T)> = items
        .into_iter()
        .map(|item| (prefix(id(&item)), item))
        .collect();
    keyed.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| id(&a.1).cmp(id(&b.1))));
    keyed.into_iter().map(|(_, item)| item).collect()
}

/// Lowercase ASCII letters and digits, every other run of characters one `-`.
pub fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handle(kind: &str, id: &str, taken: &[&str]) -> String {
        handle_for(kind, id, |h| taken.contains(&h.as_str())).to_string()
    }

    #[test]
    fn sorts_by_id_in_byte_order_whatever_the_prefixes() {
        let ids = vec![
            "khemisset-coordinator",
            "khemisset-coordination",
            "b",
            "a",
            "khemisset-coordinator-chahboun",
            "",
        ];
        let sorted = sort_by_id(ids.clone(), |s| s);
        let mut expected = ids;
        expected.sort_unstable();
        assert_eq!(sorted, expected);
    }

    #[test]
    fn keeps_ids_that_are_handles_and_derives_the_others() {
        assert_eq!(handle("person", "achraf-chahboun", &[]), "@achraf-chahboun");
        assert_eq!(
            handle("person", "mandate-0190c2d3", &[]),
            "@mandate-0190c2d3"
        );
        assert_eq!(handle("organization", "1", &["@1"]), "@organization-1");
        assert_eq!(
            handle("person", "ocd-person/5A8E", &[]),
            "@person-ocd-person-5a8e"
        );
        assert_eq!(
            handle("person", "ocd-person/5A8E", &["@person-ocd-person-5a8e"]),
            "@person-ocd-person-5a8e-125d7d85"
        );
        assert_eq!(handle("area", "الخميسات", &[]), "@area-cfd837b9");
    }
}
