//! The CSV exports as a spreadsheet reads them: quoting of names with commas, quotes and line
//! breaks, UTF-8, times with their offset and zone, and the same rows as the page.

use leptos::server_fn::ServerFn;
use reqwest::StatusCode;

use crate::common::{
    book_as, cancel_as, decode, draft, london_site, start_dashboard, start_sandbox,
};
use app::api::bookings::LoadUpcoming;
use backend::aura::wire::ServiceCatalog;
use domain::model::UpcomingView;
use server::sandbox::SandboxConfig;

/// Reads RFC 4180 text into rows of fields (an independent reader: quotes, doubled quotes, line
/// breaks inside quotes).
fn read_csv(text: &str) -> Vec<Vec<String>> {
    read_with(text, ',')
}

/// [`read_csv`] with another separator: how a spreadsheet whose list separator is `;` (German,
/// French locales) reads the same file.
fn read_with(text: &str, separator: char) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let (mut row, mut field, mut quoted, mut chars) =
        (Vec::new(), String::new(), false, text.chars().peekable());
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, c) if c == separator => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(
        !quoted && field.is_empty() && row.is_empty(),
        "unterminated: {text:?}"
    );
    rows
}

/// The upcoming page's data for the next 30 days, as `client` sees it.
async fn upcoming_page(client: &reqwest::Client, dash: &crate::common::Dashboard) -> UpcomingView {
    decode(
        client
            .get(dash.url(&format!("{}?days=30", LoadUpcoming::PATH)))
            .send()
            .await
            .expect("page"),
    )
    .await
    .expect("page")
}

#[tokio::test]
async fn the_exports_hold_what_the_page_lists_quoted_for_a_spreadsheet() {
    let sb = start_sandbox(SandboxConfig::default()).await;
    let dash = start_dashboard(&sb.base_url(), ServiceCatalog::default()).await;
    let site = london_site(&dash).await;
    let awkward = "Gate \"North\", Zoë's café";
    let kept = book_as(
        &dash.http,
        &dash.url(""),
        &draft("csv-1", awkward, site, 600),
    )
    .await
    .expect("booked");
    let dropped = book_as(
        &dash.http,
        &dash.url(""),
        &draft("csv-2", "=HYPERLINK(\"http://evil\")", site, 900),
    )
    .await
    .expect("booked");
    let reason = "Site closed, for \"good\".\nSecond line — ünïcode";
    cancel_as(&dash.http, &dash.url(""), dropped.booking_id, reason, &[])
        .await
        .expect("cancelled");

    let r = dash
        .http
        .get(dash.url("/upcoming.csv?days=30"))
        .send()
        .await
        .expect("csv");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .expect("h")
            .starts_with("attachment; filename=\"upcoming-30-days.csv\"")
    );
    let bytes = r.bytes().await.expect("body");
    assert!(
        bytes.starts_with("\u{feff}".as_bytes()),
        "UTF-8 byte-order mark"
    );
    let text = String::from_utf8(bytes.to_vec()).expect("UTF-8");
    let rows = read_csv(text.trim_start_matches('\u{feff}'));
    assert_eq!(rows[0][..4], ["Date", "Opens", "Closes", "Time zone"]);
    let page = upcoming_page(&dash.http, &dash).await;
    // The same windows, in the same order, as the page.
    assert_eq!(rows.len() - 1, page.occurrences.len());
    for (row, o) in rows[1..].iter().zip(&page.occurrences) {
        assert_eq!(row[5], o.booking_id.to_string());
        assert_eq!(row[6], o.name);
        assert_eq!(row[3], "Europe/London");
        // e.g. 2026-12-02T22:00:00+00:00: the local time with its offset.
        let opens = chrono::DateTime::parse_from_rfc3339(&row[1]).expect("offset time");
        assert_eq!(opens.with_timezone(&chrono::Utc), o.opens);
    }
    assert!(
        rows.iter()
            .any(|r| r[6] == awkward && r[5] == kept.booking_id.to_string())
    );

    let r = dash
        .http
        .get(dash.url("/cancellations.csv"))
        .send()
        .await
        .expect("csv");
    assert_eq!(r.status(), StatusCode::OK);
    let text = r.text().await.expect("body");
    let rows = read_csv(text.trim_start_matches('\u{feff}'));
    assert_eq!(rows.len(), 2, "{rows:?}");
    let row = &rows[1];
    assert_eq!(row[0], dropped.booking_id.to_string());
    // A formula typed as a name is text in a spreadsheet.
    assert_eq!(row[1], "'=HYPERLINK(\"http://evil\")");
    assert_eq!(row[10], reason);
    assert_eq!(row[11], "4");
    // Its first window was 15 hours away: a late cancellation, as the page says too.
    assert_eq!(row[12], "yes");
    let page = upcoming_page(&dash.http, &dash).await;
    let listed = page
        .cancellations
        .iter()
        .find(|c| c.booking_id == dropped.booking_id)
        .expect("in the ledger");
    assert!(listed.cancellation.late);
    assert!(
        chrono::DateTime::parse_from_rfc3339(&row[5]).is_ok(),
        "{}",
        row[5]
    );

    // Signed out: the sign-in page, not the data.
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .get(dash.url("/upcoming.csv"))
        .send()
        .await
        .expect("csv");
    assert!(r.status().is_redirection());
    // Another customer's person gets only their own (nothing here).
    let b = dash.signed_in(&dash.people.customer_b).await;
    let text = b
        .get(dash.url("/upcoming.csv?days=30"))
        .send()
        .await
        .expect("csv")
        .text()
        .await
        .expect("t");
    assert!(!text.contains("Zoë"), "{text}");
    let text = b
        .get(dash.url("/cancellations.csv"))
        .send()
        .await
        .expect("csv")
        .text()
        .await
        .expect("t");
    assert!(!text.contains("HYPERLINK"));
    // A range that is not a number is refused.
    let r = dash
        .http
        .get(dash.url("/upcoming.csv?days=lots"))
        .send()
        .await
        .expect("csv");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

/// Whether a spreadsheet would run `cell` as a formula: it starts (behind spaces or quotes) with
/// `=` or `@`, or with `+` or `-` and is not just a number.
fn starts_formula(cell: &str) -> bool {
    let cell = cell.trim_start_matches([' ', '"']);
    let mut chars = cell.chars();
    match chars.next() {
        Some('=' | '@') => true,
        Some('+' | '-') => !chars
            .as_str()
            .trim_end_matches('"')
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '.' | ',')),
        _ => false,
    }
}

/// Every way a spreadsheet might cut the file into cells: by the RFC with `,` or `;` as the
/// separator, and naively (quotes ignored) by `,`, `;`, tab and line breaks.
fn every_cell(text: &str) -> Vec<String> {
    let text = text.trim_start_matches('\u{feff}');
    let mut cells: Vec<String> = [',', ';']
        .into_iter()
        .flat_map(|separator| read_with(text, separator).into_iter().flatten())
        .collect();
    cells.extend(text.split([',', ';', '\t', '\n', '\r']).map(str::to_string));
    cells
}

/// Names, places and reasons crafted to become formulas wherever a spreadsheet could start a cell:
/// the exports read with `,` and with `;` as the separator (and naively) hold no cell that starts a
/// formula, and the RFC reading with `,` still gives back the text as typed, guarded.
#[tokio::test]
async fn no_reading_of_the_exports_finds_a_cell_that_starts_a_formula() {
    let sb = start_sandbox(SandboxConfig::default()).await;
    let dash = start_dashboard(&sb.base_url(), ServiceCatalog::default()).await;
    let site = london_site(&dash).await;
    let hostile = [
        "x;=1+1;@SUM(1+1)",
        "a,+1+A1;-2-B2",
        "=cmd|' /C calc'!A0",
        "ok; \"=1+1\"",
        "@x,-y",
    ];
    let mut booked = Vec::new();
    for (i, name) in hostile.iter().enumerate() {
        let minutes = 600 + 60 * i64::try_from(i).expect("small");
        let mut d = draft(&format!("formula-{i}"), name, site, minutes);
        if i == 0 {
            // A new place whose address is hostile too.
            d.site_id = None;
            d.address = "1 High St;=2+2,@A1".into();
            d.timezone = "Europe/London".into();
        }
        booked.push(
            book_as(&dash.http, &dash.url(""), &d)
                .await
                .expect("booked"),
        );
    }
    let reason = "Not needed\n=cmd|' /C calc'!A0;-1+A1\t@x";
    cancel_as(&dash.http, &dash.url(""), booked[1].booking_id, reason, &[])
        .await
        .expect("cancelled");
    for path in ["/upcoming.csv?days=60", "/cancellations.csv"] {
        let r = dash.http.get(dash.url(path)).send().await.expect("csv");
        assert_eq!(r.status(), StatusCode::OK);
        let text = r.text().await.expect("body");
        let formulas: Vec<String> = every_cell(&text)
            .into_iter()
            .filter(|c| starts_formula(c))
            .collect();
        assert!(formulas.is_empty(), "{path}: {formulas:?}\n{text}");
        // Read as written, every text field is quoted and the text is there, guarded.
        let rows = read_csv(text.trim_start_matches('\u{feff}'));
        let named = |name: &str| {
            rows.iter()
                .find(|row| {
                    row.iter()
                        .any(|cell| cell.replace('\'', "") == name.replace('\'', ""))
                })
                .is_some()
        };
        if path.starts_with("/upcoming") {
            // All but the cancelled one.
            assert!(
                hostile.iter().enumerate().all(|(i, n)| i == 1 || named(n)),
                "{rows:?}"
            );
            assert!(
                rows.iter().flatten().any(|c| c == "x;'=1+1;'@SUM(1+1)"),
                "{rows:?}"
            );
        } else {
            assert!(named(hostile[1]), "{rows:?}");
            assert!(
                rows.iter()
                    .flatten()
                    .any(|c| c == "Not needed\n'=cmd|' /C calc'!A0;'-1+A1\t'@x"),
                "{rows:?}"
            );
        }
        for line in text
            .trim_start_matches('\u{feff}')
            .split("\r\n")
            .filter(|l| !l.is_empty())
        {
            assert!(
                line.starts_with('"') || line.starts_with(|c: char| c.is_ascii_digit()),
                "{line}"
            );
        }
    }
}

/// The ledger pages instead of stopping at a fixed number of rows, and says how many there are;
/// the CSV has every row.
#[tokio::test]
async fn the_ledger_pages_through_every_cancellation_and_the_csv_has_them_all() {
    use crate::common::raw;
    let sb = start_sandbox(SandboxConfig::default()).await;
    let dash = start_dashboard(&sb.base_url(), ServiceCatalog::default()).await;
    let site = london_site(&dash).await;
    let first = book_as(
        &dash.http,
        &dash.url(""),
        &draft("l-0", "Ledger 0", site, 60 * 48),
    )
    .await
    .expect("booked");
    cancel_as(
        &dash.http,
        &dash.url(""),
        first.booking_id,
        "Not needed",
        &[],
    )
    .await
    .expect("cancelled");
    // 229 more cancelled bookings like it.
    const COLUMNS: &str = "customer_id, site_id, idempotency_key, service_type, name, \
        special_instructions, number_of_guards, armed_preference, contacts, address, latitude, \
        longitude, timezone, first_date, last_date, date_from, date_to, repeat_type, days_of_week, \
        start_time, window_minutes, aura_id, next_occurrence, next_occurrence_ours, status, \
        sync_error, attempts, cancel_outcome_unknown, created_by_user_id, created_at, updated_at, \
        cancel_requested_at, cancel_reason, cancelled_by, cancelled_by_user_id, \
        cancelled_on_behalf_of, removed_occurrences, cancelled_at";
    let select = COLUMNS
        .replace("idempotency_key", "?")
        .replace("aura_id", "NULL")
        .replace(" name,", " ? || name,");
    for i in 1..230 {
        raw!(&dash.state.db, |conn, d| sqlx::query(&d(&format!(
            "INSERT INTO bookings ({COLUMNS}) SELECT {select} FROM bookings WHERE id = ?"
        )))
        .bind(format!("copy-{i}"))
        .bind(format!("#{i} "))
        .bind(first.booking_id)
        .execute(conn)
        .await?
        .rows_affected())
        .expect("copy");
    }
    let page = |n: u32| {
        let url = dash.url(&format!("{}?days=30&page={n}", LoadUpcoming::PATH));
        let http = dash.http.clone();
        async move {
            decode::<UpcomingView>(http.get(url).send().await.expect("page"))
                .await
                .expect("page")
        }
    };
    let p0 = page(0).await;
    assert_eq!(p0.cancelled_total, 230);
    assert_eq!(p0.ledger_pages, 3);
    assert_eq!(p0.cancellations.len(), 100);
    let p2 = page(2).await;
    assert_eq!(p2.ledger_page, 2);
    assert_eq!(p2.cancellations.len(), 30);
    // Past the end: the last page.
    assert_eq!(page(9).await.ledger_page, 2);
    let mut seen: Vec<i64> = Vec::new();
    for n in 0..3 {
        seen.extend(page(n).await.cancellations.iter().map(|c| c.booking_id));
    }
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), 230, "every row on exactly one page");
    let text = dash
        .http
        .get(dash.url("/cancellations.csv"))
        .send()
        .await
        .expect("csv")
        .text()
        .await
        .expect("body");
    assert_eq!(read_csv(text.trim_start_matches('\u{feff}')).len(), 231);
}
