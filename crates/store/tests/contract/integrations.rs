//! Contract cases for provider integrations.

use std::collections::BTreeSet;

use callbase_domain::{
    DisplayName, IntegrationId, IntegrationKind, Timestamp, WorkspaceId, from_micros, now,
};
use callbase_store::{
    AuditFilter, Integration, IntegrationActivity, IntegrationPatch, PageRequest, SealedSecrets,
    SortOrder, Store, StoreError,
};

use super::{audit, new_workspace};

fn at_second(second: i64) -> Timestamp {
    from_micros(second * 1_000_000)
}

fn secrets(sealed: &[u8], names: &[&str]) -> SealedSecrets {
    SealedSecrets {
        sealed: sealed.to_vec(),
        names: names.iter().map(|name| (*name).to_owned()).collect(),
    }
}

fn twilio(workspace: WorkspaceId, name: &str) -> Integration {
    let mut config = serde_json::Map::new();
    config.insert("account_sid".to_owned(), serde_json::json!("AC0123"));
    Integration {
        config,
        ..Integration::new(
            workspace,
            IntegrationKind::Twilio,
            DisplayName::parse(name).expect("name"),
            secrets(&[1, 0, 255, 7], &["auth_token"]),
            now(),
        )
    }
}

async fn create(store: &dyn Store, integration: &Integration) {
    let entry = audit(Some(integration.workspace_id), "integration.create", integration.id);
    store.create_integration(integration, &entry).await.expect("create integration");
}

pub(crate) async fn integrations_round_trip_page_and_change(store: &dyn Store) {
    let ws = new_workspace(store, None).await.id;
    let mut created = Vec::new();
    for n in 0..5 {
        let integration = twilio(ws, &format!("Twilio {n}"));
        create(store, &integration).await;
        created.push(integration);
    }
    let first = &created[0];
    assert_eq!(store.integration(ws, first.id).await.expect("read"), Some(first.clone()));
    assert_eq!(store.integration(ws, IntegrationId::new()).await.expect("read"), None);

    for order in [SortOrder::Ascending, SortOrder::Descending] {
        let mut seen = Vec::new();
        let mut page = PageRequest { after: None, limit: 2, order };
        loop {
            let got = store.list_integrations(ws, &page).await.expect("list");
            assert!(got.items.len() <= 2);
            seen.extend(got.items);
            match got.next {
                Some(next) => page.after = Some(next),
                None => break,
            }
        }
        let mut expected = created.clone();
        if order == SortOrder::Descending {
            expected.reverse();
        }
        assert_eq!(seen, expected, "{order:?}");
    }

    let renamed = IntegrationPatch {
        name: Some(DisplayName::parse("Main line").expect("name")),
        ..IntegrationPatch::at(at_second(2_000_000_000))
    };
    let entry = || audit(Some(ws), "integration.update", first.id);
    let updated = store
        .update_integration(ws, first.id, &renamed, &entry())
        .await
        .expect("update")
        .expect("found");
    assert_eq!(updated.name.as_str(), "Main line");
    assert_eq!(updated.updated_at, at_second(2_000_000_000));
    assert_eq!(
        Integration { name: first.name.clone(), updated_at: first.updated_at, ..updated.clone() },
        first.clone(),
        "only the name and the update time changed"
    );

    let mut config = serde_json::Map::new();
    config.insert("account_sid".to_owned(), serde_json::json!("AC9999"));
    let rotated = IntegrationPatch {
        config: Some(config.clone()),
        secrets: Some(secrets(b"sealed again", &["auth_token", "api_key"])),
        ..IntegrationPatch::at(now())
    };
    let updated = store
        .update_integration(ws, first.id, &rotated, &entry())
        .await
        .expect("update")
        .expect("found");
    assert_eq!(updated.config, config);
    assert_eq!(updated.sealed_secrets, b"sealed again");
    assert_eq!(
        updated.secret_names,
        BTreeSet::from(["api_key".to_owned(), "auth_token".to_owned()])
    );
    assert_eq!(updated.name.as_str(), "Main line");
    assert_eq!(store.integration(ws, first.id).await.expect("read"), Some(updated));

    let cleared =
        IntegrationPatch { secrets: Some(SealedSecrets::default()), ..IntegrationPatch::at(now()) };
    let updated = store
        .update_integration(ws, first.id, &cleared, &entry())
        .await
        .expect("update")
        .expect("found");
    assert!(updated.sealed_secrets.is_empty() && updated.secret_names.is_empty());

    let delete = || audit(Some(ws), "integration.delete", first.id);
    assert!(store.delete_integration(ws, first.id, &delete()).await.expect("delete"));
    assert!(!store.delete_integration(ws, first.id, &delete()).await.expect("again"));
    assert_eq!(store.integration(ws, first.id).await.expect("read"), None);
    let missing = store.update_integration(ws, first.id, &renamed, &entry()).await;
    assert_eq!(missing.expect("update"), None);
    let left = store.list_integrations(ws, &PageRequest::first(10)).await.expect("list");
    assert_eq!(left.items.len(), 4);
}

pub(crate) async fn integrations_are_scoped_to_their_workspace(store: &dyn Store) {
    let ws = new_workspace(store, None).await.id;
    let other = new_workspace(store, None).await.id;
    let integration = twilio(ws, "Twilio");
    create(store, &integration).await;
    let id = integration.id;

    assert_eq!(store.integration(other, id).await.expect("read"), None);
    let listed = store.list_integrations(other, &PageRequest::first(10)).await.expect("list");
    assert!(listed.items.is_empty() && listed.next.is_none());
    let patch = IntegrationPatch {
        name: Some(DisplayName::parse("Taken over").expect("name")),
        secrets: Some(secrets(b"attacker", &["auth_token"])),
        ..IntegrationPatch::at(now())
    };
    let entry = audit(Some(other), "integration.update", id);
    assert_eq!(store.update_integration(other, id, &patch, &entry).await.expect("update"), None);
    let entry = audit(Some(other), "integration.delete", id);
    assert!(!store.delete_integration(other, id, &entry).await.expect("delete"));
    let activity = IntegrationActivity { events: 3, ..IntegrationActivity::default() };
    assert!(!store.record_integration_activity(other, id, &activity).await.expect("record"));

    assert_eq!(store.integration(ws, id).await.expect("read"), Some(integration));
    let in_other = AuditFilter { workspace: Some(other), ..AuditFilter::default() };
    let log = store.list_audit(&in_other, &PageRequest::first(10)).await.expect("log");
    let actions: Vec<_> = log.items.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["workspace.create"], "refused changes leave no audit entry");
}

pub(crate) async fn integration_activity_accumulates(store: &dyn Store) {
    let ws = new_workspace(store, None).await.id;
    let integration = twilio(ws, "Twilio");
    create(store, &integration).await;
    let id = integration.id;
    let record = |activity: IntegrationActivity| async move {
        assert!(store.record_integration_activity(ws, id, &activity).await.expect("record"));
        store.integration(ws, id).await.expect("read").expect("found")
    };

    let after = record(IntegrationActivity {
        events: 5,
        last_event_at: Some(at_second(100)),
        ..IntegrationActivity::default()
    })
    .await;
    assert_eq!((after.events_received, after.last_event_at), (5, Some(at_second(100))));
    assert_eq!((after.signature_failures, after.last_signature_failure_at), (0, None));

    let after = record(IntegrationActivity {
        events: 2,
        last_event_at: Some(at_second(200)),
        signature_failures: 1,
        last_failure: Some((at_second(150), "signature mismatch".to_owned())),
    })
    .await;
    assert_eq!((after.events_received, after.last_event_at), (7, Some(at_second(200))));
    assert_eq!(after.signature_failures, 1);
    assert_eq!(after.last_signature_failure_at, Some(at_second(150)));
    assert_eq!(after.last_signature_failure_reason.as_deref(), Some("signature mismatch"));

    // A flush that arrives late (another instance) adds its counts but moves no instant back.
    let after = record(IntegrationActivity {
        events: 1,
        last_event_at: Some(at_second(50)),
        signature_failures: 2,
        last_failure: Some((at_second(140), "stale timestamp".to_owned())),
    })
    .await;
    assert_eq!((after.events_received, after.last_event_at), (8, Some(at_second(200))));
    assert_eq!(after.signature_failures, 3);
    assert_eq!(after.last_signature_failure_at, Some(at_second(150)));
    assert_eq!(after.last_signature_failure_reason.as_deref(), Some("signature mismatch"));

    let after = record(IntegrationActivity::default()).await;
    assert_eq!((after.events_received, after.signature_failures), (8, 3));
    assert_eq!(after.last_event_at, Some(at_second(200)));
    assert_eq!(after.last_signature_failure_reason.as_deref(), Some("signature mismatch"));

    let after = record(IntegrationActivity {
        signature_failures: 1,
        last_failure: Some((at_second(300), "missing header".to_owned())),
        ..IntegrationActivity::default()
    })
    .await;
    assert_eq!(after.signature_failures, 4);
    assert_eq!(after.last_signature_failure_at, Some(at_second(300)));
    assert_eq!(after.last_signature_failure_reason.as_deref(), Some("missing header"));
    assert_eq!(after.events_received, 8);
    assert_eq!(
        Integration {
            events_received: 0,
            last_event_at: None,
            signature_failures: 0,
            last_signature_failure_at: None,
            last_signature_failure_reason: None,
            ..after
        },
        integration,
        "activity changes nothing else"
    );

    let gone = IntegrationActivity { events: 1, ..IntegrationActivity::default() };
    let missing = store.record_integration_activity(ws, IntegrationId::new(), &gone).await;
    assert!(!missing.expect("record"));
}

pub(crate) async fn integration_changes_are_audited(store: &dyn Store) {
    let ws = new_workspace(store, None).await.id;
    let integration = twilio(ws, "Twilio");
    create(store, &integration).await;
    let id = integration.id;
    let patch = IntegrationPatch {
        name: Some(DisplayName::parse("Renamed").expect("name")),
        ..IntegrationPatch::at(now())
    };
    store
        .update_integration(ws, id, &patch, &audit(Some(ws), "integration.update", id))
        .await
        .expect("update");
    let activity = IntegrationActivity { events: 1, ..IntegrationActivity::default() };
    store.record_integration_activity(ws, id, &activity).await.expect("record");
    store
        .delete_integration(ws, id, &audit(Some(ws), "integration.delete", id))
        .await
        .expect("delete");

    let about = AuditFilter { target_id: Some(id.to_string()), ..AuditFilter::default() };
    let log = store.list_audit(&about, &PageRequest::first(10)).await.expect("log");
    let entries: Vec<_> = log
        .items
        .iter()
        .map(|e| (e.action.as_str(), e.target_type.as_str(), e.workspace_id))
        .collect();
    assert_eq!(
        entries,
        [
            ("integration.delete", "integration", Some(ws)),
            ("integration.update", "integration", Some(ws)),
            ("integration.create", "integration", Some(ws)),
        ],
        "one entry per change, none for activity"
    );
    assert_eq!(log.items[0].client_addr.as_deref(), Some("127.0.0.1"));
}

pub(crate) async fn integrations_go_with_their_workspace(store: &dyn Store) {
    let ws = new_workspace(store, None).await.id;
    let integration = twilio(ws, "Twilio");
    create(store, &integration).await;
    let kept = new_workspace(store, None).await.id;
    let other = twilio(kept, "Twilio");
    create(store, &other).await;

    let entry = audit(Some(ws), "workspace.delete", ws);
    assert!(store.delete_workspace(ws, &entry).await.expect("delete workspace"));
    assert_eq!(store.integration(ws, integration.id).await.expect("read"), None);
    let listed = store.list_integrations(ws, &PageRequest::first(10)).await.expect("list");
    assert!(listed.items.is_empty());
    assert_eq!(store.integration(kept, other.id).await.expect("read"), Some(other));

    let late = twilio(ws, "Too late");
    let entry = audit(Some(ws), "integration.create", late.id);
    let refused = store.create_integration(&late, &entry).await;
    assert!(matches!(refused, Err(StoreError::WorkspaceGone)), "{refused:?}");
    let about = AuditFilter { target_id: Some(late.id.to_string()), ..AuditFilter::default() };
    let log = store.list_audit(&about, &PageRequest::first(10)).await.expect("log");
    assert!(log.items.is_empty(), "the refused insert left no audit entry");
}
