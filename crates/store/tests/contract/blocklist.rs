//! Contract cases for the do-not-call list.

use callbase_domain::{BlockId, BlockPattern, E164, Timestamp, now};
use callbase_store::{BlockEntry, BlockPatch, PageRequest, Store, StoreError};

use super::calls::at_second;
use super::{audit, new_workspace};
pub(crate) async fn blocklist_matches_numbers_and_prefixes(store: &dyn Store) {
    let workspace = new_workspace(store, None).await.id;
    let entry = |pattern: BlockPattern, expires_at: Option<Timestamp>| BlockEntry {
        id: BlockId::new(),
        workspace_id: workspace,
        pattern,
        reason: Some("asked not to be called".to_owned()),
        expires_at,
        created_by: None,
        created_at: now(),
    };
    let number = |raw: &str| E164::parse(raw, None).expect("number");
    let create = |e: BlockEntry| async move {
        store.create_block(&e, &audit(Some(e.workspace_id), "blocklist.create", e.id)).await
    };
    let exact =
        create(entry(BlockPattern::Number(number("+49301234567")), None)).await.expect("create");
    let prefix =
        create(entry(BlockPattern::prefix("+44 20").expect("prefix"), None)).await.expect("create");
    let expired = create(entry(BlockPattern::prefix("+1").expect("prefix"), Some(at_second(1))))
        .await
        .expect("create");
    assert!(matches!(
        create(entry(BlockPattern::Number(number("+49 30 1234567")), None)).await,
        Err(StoreError::Conflict(_))
    ));
    let blocking = |raw: &'static str| async move {
        store.blocking_entries(workspace, &number(raw), now()).await.expect("lookup")
    };
    assert_eq!(blocking("+49301234567").await, vec![exact.clone()]);
    assert!(blocking("+49301234568").await.is_empty());
    assert_eq!(blocking("+442071234567").await, vec![prefix.clone()]);
    assert!(blocking("+14155550123").await.is_empty(), "expired");

    let patch = BlockPatch { expires_at: Some(None), reason: Some(None) };
    let renewed = store
        .update_block(
            workspace,
            expired.id,
            &patch,
            &audit(Some(workspace), "blocklist.update", expired.id),
        )
        .await
        .expect("update")
        .expect("found");
    assert_eq!((renewed.expires_at, renewed.reason), (None, None));
    assert_eq!(blocking("+14155550123").await.len(), 1);

    let elsewhere = new_workspace(store, None).await.id;
    assert!(
        store
            .blocking_entries(elsewhere, &number("+49301234567"), now())
            .await
            .expect("lookup")
            .is_empty()
    );
    assert_eq!(store.block(elsewhere, exact.id).await.expect("read"), None);
    let page = store.list_blocks(workspace, &PageRequest::first(10)).await.expect("list");
    assert_eq!(page.items.len(), 3);
    assert!(
        store
            .delete_block(
                workspace,
                exact.id,
                &audit(Some(workspace), "blocklist.delete", exact.id)
            )
            .await
            .expect("delete")
    );
    assert!(blocking("+49301234567").await.is_empty());
}
