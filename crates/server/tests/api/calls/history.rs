//! History: numbers in any format, paging while calls arrive, filters, export.

use serde_json::{Value, json};

use super::{ids_for, log, owner};
use crate::helpers::{TestApp, both_databases};

both_databases!(
    history_finds_numbers_in_any_format,
    history_pages_and_filters,
    export_streams_csv_and_ndjson_with_filters,
    export_defuses_spreadsheet_formulas,
);

async fn history_finds_numbers_in_any_format(app: TestApp) {
    let (token, ws) = owner(&app).await;
    app.patch(&format!("/api/v1/workspaces/{ws}"))
        .token(&token)
        .json(&json!({ "region": "DE" }))
        .send()
        .await
        .expect(200);
    // Stored from a national format: the region makes it E.164.
    let berlin =
        log(&app, &token, &ws, json!({ "direction": "inbound", "from_number": "030 1234567" }))
            .await;
    let other =
        log(&app, &token, &ws, json!({ "direction": "outbound", "to_number": "+1 415 555 0199" }))
            .await;
    let berlin_id = berlin["id"].as_str().expect("id").to_owned();
    for query in [
        "number=%2B49%2030%201234567",
        "number=030%201234567",
        "number=%2B49301234567",
        "number=4567",
        "number=1234567",
    ] {
        assert_eq!(ids_for(&app, &token, &ws, query).await, vec![berlin_id.clone()], "{query}");
    }
    assert_eq!(
        ids_for(&app, &token, &ws, "number=0199").await,
        vec![other["id"].as_str().expect("id").to_owned()]
    );
    assert!(ids_for(&app, &token, &ws, "number=9999").await.is_empty());
    let short = app
        .get("/api/v1/calls?number=567")
        .token(&token)
        .header("x-workspace-id", &ws)
        .send()
        .await;
    let error = short.expect_error(400, "invalid_query");
    assert_eq!(error["error"]["details"]["parameter"], "number");
}

async fn history_pages_and_filters(app: TestApp) {
    let (token, ws) = owner(&app).await;
    let mut all = Vec::new();
    for i in 0..7 {
        let call = log(
            &app,
            &token,
            &ws,
            json!({
                "direction": if i % 2 == 0 { "inbound" } else { "outbound" },
                "from_number": "+4940555000",
                "to_number": format!("+4930100{i}"),
                "started_at": format!("2026-11-02T10:0{i}:00Z"),
                "notes": if i == 3 { "customer wants a callback" } else { "routine" },
                "tags": if i == 5 { json!(["vip"]) } else { json!([]) },
            }),
        )
        .await;
        all.push(call["id"].as_str().expect("id").to_owned());
    }
    all.reverse();
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let reply = app
            .get(&format!("/api/v1/calls?limit=3&cursor={cursor}"))
            .token(&token)
            .header("x-workspace-id", &ws)
            .send()
            .await;
        let body = reply.expect(200).clone();
        seen.extend(
            body["data"]
                .as_array()
                .expect("data")
                .iter()
                .map(|c| c["id"].as_str().unwrap_or_default().to_owned()),
        );
        // A new call arrives while paging: it is newer than every page, so it never shows.
        log(
            &app,
            &token,
            &ws,
            json!({ "direction": "inbound", "started_at": "2026-11-03T00:00:00Z" }),
        )
        .await;
        match body["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen, all, "every call once, newest first");
    assert_eq!(ids_for(&app, &token, &ws, "q=callback").await, vec![all[3].clone()]);
    assert_eq!(ids_for(&app, &token, &ws, "tag=vip").await, vec![all[1].clone()]);
    assert_eq!(
        ids_for(&app, &token, &ws, "direction=outbound&to=2026-11-02T10:04:00Z").await,
        vec![all[3].clone(), all[5].clone()]
    );
    assert_eq!(
        ids_for(&app, &token, &ws, "from=2026-11-02T10:06:00Z&to=2026-11-02T10:07:00Z").await,
        vec![all[0].clone()]
    );
    assert_eq!(ids_for(&app, &token, &ws, "sort=started_at&limit=1").await, vec![all[6].clone()]);
    for bad in [
        "cursor=not-a-cursor",
        "cursor=eyJrIjoxfQ",
        "limit=0",
        "status=sideways",
        "min_duration=-1",
        "sort=name",
        "from=yesterday",
    ] {
        let reply = app
            .get(&format!("/api/v1/calls?{bad}"))
            .token(&token)
            .header("x-workspace-id", &ws)
            .send()
            .await;
        assert_eq!(reply.status.as_u16(), 400, "{bad}: {}", reply.text);
    }
    let tampered = app.get("/api/v1/calls?cursor=eyJrIjoxLCJpZCI6IjAxOTVmM2EwLTAwMDAtNzAwMC04MDAwLTAwMDAwMDAwMDAwMCIsInMiOiJkdXJhdGlvbiJ9").token(&token).header("x-workspace-id", &ws).send().await;
    tampered.expect_error(400, "invalid_cursor");
}

async fn export_streams_csv_and_ndjson_with_filters(app: TestApp) {
    let (token, ws) = owner(&app).await;
    for i in 0..5 {
        log(
            &app,
            &token,
            &ws,
            json!({
                "direction": if i < 3 { "inbound" } else { "outbound" },
                "from_number": "+4940555000",
                "from_name": if i == 0 { "Müller, \"Hans\"" } else { "Anna" },
                "started_at": format!("2026-11-02T10:0{i}:00Z"),
            }),
        )
        .await;
    }
    let csv = app
        .get("/api/v1/calls/export?format=csv")
        .token(&token)
        .header("x-workspace-id", &ws)
        .send()
        .await;
    assert_eq!(csv.status.as_u16(), 200);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(csv.header("content-disposition").is_some_and(|d| d.contains("calls.csv")));
    let lines: Vec<&str> = csv.text.lines().collect();
    assert_eq!(lines.len(), 6, "header and five calls: {}", csv.text);
    assert!(lines[0].starts_with("id,source,external_id,direction,status"));
    assert!(lines[1].contains("\"Müller, \"\"Hans\"\"\""), "quoted: {}", lines[1]);
    let ndjson = app
        .get("/api/v1/calls/export?format=ndjson&direction=outbound")
        .token(&token)
        .header("x-workspace-id", &ws)
        .send()
        .await;
    assert_eq!(ndjson.header("content-type"), Some("application/x-ndjson"));
    let rows: Vec<Value> =
        ndjson.text.lines().map(|line| serde_json::from_str(line).expect("json line")).collect();
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|row| row["direction"] == "outbound"));
    assert!(rows[0]["started_at"].as_str() < rows[1]["started_at"].as_str(), "oldest first");
    let bad = app
        .get("/api/v1/calls/export?format=xlsx")
        .token(&token)
        .header("x-workspace-id", &ws)
        .send()
        .await;
    bad.expect_error(400, "invalid_query");
}

/// A cell a spreadsheet would run as a formula goes out with a leading `'`; a whole phone
/// number does not.
async fn export_defuses_spreadsheet_formulas(app: TestApp) {
    let (token, ws) = owner(&app).await;
    log(
        &app,
        &token,
        &ws,
        json!({
            "direction": "inbound",
            "from_number": "+1+cmd|' /C calc'!A0",
            "from_name": "-2+3+cmd|' /C calc'!A0",
            "to_number": "+4940555000",
            "to_name": "@SUM(A1)",
            "notes": "=HYPERLINK(\"http://x\")",
        }),
    )
    .await;
    let csv = app
        .get("/api/v1/calls/export?format=csv")
        .token(&token)
        .header("x-workspace-id", &ws)
        .send()
        .await;
    assert_eq!(csv.status.as_u16(), 200);
    let row = csv.text.lines().nth(1).expect("one call");
    for defused in [
        "\"'+1+cmd|' /C calc'!A0\"",
        "\"'-2+3+cmd|' /C calc'!A0\"",
        "\"'@SUM(A1)\"",
        "\"'=HYPERLINK(\"\"http://x\"\")\"",
    ] {
        assert!(row.contains(defused), "{defused} in {row}");
    }
    assert!(row.contains(",+4940555000,"), "a phone number stays as it is: {row}");
    let cells: Vec<&str> = row.split(',').collect();
    assert!(
        !cells.iter().any(|cell| cell.starts_with(['=', '@', '-']) || cell.starts_with("+1+")),
        "no cell opens with a formula: {row}"
    );
}
