//! The memory backend passes the conformance suite.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sijill_store::conformance::{self, StoreKey};
use sijill_store::MemoryStore;

/// Same key, same store: a memory store "reopens" by handing out a clone.
fn factory() -> impl Fn(StoreKey) -> std::future::Ready<MemoryStore> {
    let stores: Arc<Mutex<HashMap<StoreKey, MemoryStore>>> = Arc::default();
    move |key| std::future::ready(stores.lock().unwrap().entry(key).or_default().clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_store_passes_the_conformance_suite() {
    conformance::run_all(factory()).await;
}
