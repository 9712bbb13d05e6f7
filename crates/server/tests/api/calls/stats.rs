//! Statistics in the workspace time zone, across a DST change and a zone change.

use serde_json::json;

use super::{log, owner};
use crate::helpers::{TestApp, both_databases};

both_databases!(stats_follow_local_days_across_dst,);

async fn stats_follow_local_days_across_dst(app: TestApp) {
    let (token, ws) = owner(&app).await;
    app.patch(&format!("/api/v1/workspaces/{ws}"))
        .token(&token)
        .json(&json!({ "time_zone": "Europe/Berlin" }))
        .send()
        .await
        .expect(200);
    // Berlin leaves summer time at 03:00 CEST on 2026-10-25 (01:00 UTC).
    let calls = [
        ("2026-10-24T21:30:00Z", "inbound", Some(30)), // 23:30 on the 24th (CEST)
        ("2026-10-24T22:30:00Z", "inbound", None),     // 00:30 on the 25th (CEST)
        ("2026-10-25T00:30:00Z", "outbound", Some(90)), // 02:30 CEST on the 25th
        ("2026-10-25T01:30:00Z", "outbound", Some(400)), // 02:30 CET, the repeated hour
        ("2026-10-25T22:30:00Z", "inbound", Some(5)),  // 23:30 on the 25th (CET)
        ("2026-10-25T23:30:00Z", "inbound", None),     // 00:30 on the 26th
    ];
    for (started, direction, talk) in calls {
        let start: jiff::Timestamp = started.parse().expect("instant");
        let mut body = json!({ "direction": direction, "started_at": started });
        match talk {
            Some(seconds) => {
                body["answered_at"] =
                    json!(start.checked_add(jiff::SignedDuration::from_secs(10)).expect("time"));
                body["ended_at"] = json!(
                    start.checked_add(jiff::SignedDuration::from_secs(10 + seconds)).expect("time")
                );
            }
            None => {
                body["ended_at"] =
                    json!(start.checked_add(jiff::SignedDuration::from_secs(20)).expect("time"))
            }
        }
        log(&app, &token, &ws, body).await;
    }
    let query = "period=custom&from=2026-10-23T22:00:00Z&to=2026-10-26T23:00:00Z";
    let stats = app
        .get(&format!("/api/v1/calls/stats?{query}&group_by=direction"))
        .token(&token)
        .header("x-workspace-id", &ws)
        .send()
        .await;
    let stats = stats.expect(200).clone();
    assert_eq!(stats["time_zone"], "Europe/Berlin");
    let totals = &stats["totals"];
    assert_eq!(
        (totals["calls"].as_i64(), totals["answered"].as_i64(), totals["missed"].as_i64()),
        (Some(6), Some(4), Some(2))
    );
    assert_eq!(totals["total_talk_seconds"], 525);
    assert_eq!(totals["answer_rate"].as_f64(), Some(4.0 / 6.0));
    let daily: Vec<(String, i64)> = stats["daily"]
        .as_array()
        .expect("daily")
        .iter()
        .map(|d| {
            (
                d["date"].as_str().unwrap_or_default().to_owned(),
                d["calls"].as_i64().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        daily,
        [("2026-10-24".to_owned(), 1), ("2026-10-25".to_owned(), 4), ("2026-10-26".to_owned(), 1)]
    );
    let hours: Vec<(i64, i64)> = stats["busiest_hours"]
        .as_array()
        .expect("hours")
        .iter()
        .map(|h| (h["hour"].as_i64().unwrap_or_default(), h["calls"].as_i64().unwrap_or_default()))
        .collect();
    assert_eq!(hours, [(0, 2), (2, 2), (23, 2)], "busiest first; 02:00 happened twice");
    let groups = stats["groups"].as_array().expect("groups");
    assert_eq!(groups[0]["key"], "inbound");
    assert_eq!(groups[0]["calls"], 4);
    let buckets = stats["duration_distribution"].as_array().expect("buckets");
    let counts: Vec<i64> =
        buckets.iter().map(|b| b["calls"].as_i64().unwrap_or_default()).collect();
    assert_eq!(counts, [1, 0, 1, 1, 0, 1, 0, 0]);

    // A custom range that cuts hours in half reads the edges from the calls themselves.
    let partial = app
        .get("/api/v1/calls/stats?period=custom&from=2026-10-24T22:15:00Z&to=2026-10-25T00:45:00Z")
        .token(&token)
        .header("x-workspace-id", &ws)
        .send()
        .await;
    assert_eq!(partial.expect(200)["totals"]["calls"], 2);
    let daily = app
        .get(&format!("/api/v1/calls/stats/daily?{query}"))
        .token(&token)
        .header("x-workspace-id", &ws)
        .send()
        .await;
    assert_eq!(daily.expect(200)["days"].as_array().map(Vec::len), Some(3));
    let distribution = app
        .get(&format!("/api/v1/calls/stats/duration-distribution?{query}"))
        .token(&token)
        .header("x-workspace-id", &ws)
        .send()
        .await;
    assert_eq!(distribution.expect(200)["edges"], json!([10, 30, 60, 120, 300, 600, 1800]));
    let month =
        app.get("/api/v1/calls/stats").token(&token).header("x-workspace-id", &ws).send().await;
    assert_eq!(month.expect(200)["period"], "month");
    let bad = app
        .get("/api/v1/calls/stats?period=custom&from=2026-10-24T00:00:00Z")
        .token(&token)
        .header("x-workspace-id", &ws)
        .send()
        .await;
    bad.expect_error(400, "invalid_query");

    // Moving the workspace to UTC regroups the same calls on UTC days.
    app.patch(&format!("/api/v1/workspaces/{ws}"))
        .token(&token)
        .json(&json!({ "time_zone": "UTC" }))
        .send()
        .await
        .expect(200);
    let utc = app
        .get("/api/v1/calls/stats?period=custom&from=2026-10-24T00:00:00Z&to=2026-10-27T00:00:00Z")
        .token(&token)
        .header("x-workspace-id", &ws)
        .send()
        .await;
    let days: Vec<i64> = utc.expect(200)["daily"]
        .as_array()
        .expect("daily")
        .iter()
        .map(|d| d["calls"].as_i64().unwrap_or_default())
        .collect();
    assert_eq!(days, [2, 4, 0]);
}
