//! The week view's rendered output: every week the poller knows (HTML,
//! JSON, Markdown) and the calendar, rendered once and then served as
//! shared bytes.
//!
//! Why: rendering a page (the template, the JSON document, the calendar's
//! folding) costs far more than sending it, a page is read many times
//! between two poll cycles, and it only changes when one of the three
//! things of a [`Key`] does:
//!
//! - the reports (a cycle brought new data: the poller replaces the `Arc`,
//!   so a new pointer is a change, and an `Arc::make_mut` on a map the
//!   cache still holds copies it first, so that is a new pointer too);
//! - the last successful read (the calendar's `DTSTAMP`, and the
//!   "generated" time of weeks without data);
//! - the team's local date ("today" is marked on the page, and "this week"
//!   follows it).
//!
//! The poller renders right after it feeds new data
//! ([`WebState::update`](super::WebState::update)); a request whose key no
//! longer matches (midnight, or data written without `update`) renders
//! once for everybody while the others wait. Whether the data is stale
//! depends on the request's own time and nothing else, so it is never
//! rendered in: the request splices a notice into the stored page
//! ([`HtmlPage::body`]).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use axum::body::Bytes;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use super::{HTML, JSON, MARKDOWN, TEXT};
use crate::report::ics::IcsOptions;
use crate::report::{html, ics, json, markdown, IsoWeekId, WeekReport};

/// The reports the poller feeds, shared with the cache that rendered them.
pub type Reports = Arc<BTreeMap<IsoWeekId, WeekReport>>;

/// A rendered answer: status, content type and body.
#[derive(Debug, Clone)]
pub(crate) struct Output {
    pub(crate) status: StatusCode,
    pub(crate) content_type: &'static str,
    pub(crate) bytes: Bytes,
}

impl Output {
    fn new(status: StatusCode, content_type: &'static str, body: String) -> Output {
        Output {
            status,
            content_type,
            bytes: Bytes::from(body),
        }
    }

    fn failed(message: &str) -> Output {
        Output::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            TEXT,
            format!("pushbot could not {message}; the log has the details\n"),
        )
    }
}

/// A rendered HTML page and where a notice goes in it.
#[derive(Debug, Clone)]
pub(crate) struct HtmlPage {
    pub(crate) output: Output,
    /// Byte offset of the notice: just inside `<main>` (or `<body>`), so it
    /// is the first thing on the page.
    notice_at: usize,
}

impl HtmlPage {
    /// The page of a render result; a failed render is logged once here
    /// and answered 500.
    pub(crate) fn new(result: Result<String, html::HtmlError>, status: StatusCode) -> HtmlPage {
        match result {
            Ok(page) => {
                let notice_at = ["<main>", "<body>"]
                    .iter()
                    .find_map(|tag| page.find(tag).map(|at| at + tag.len()))
                    .unwrap_or(0);
                HtmlPage {
                    output: Output::new(status, HTML, page),
                    notice_at,
                }
            }
            Err(err) => {
                tracing::error!(error = %err, "week page failed to render");
                HtmlPage {
                    output: Output::failed("render this page"),
                    notice_at: 0,
                }
            }
        }
    }

    /// The body, with `notice` (HTML) spliced in when there is one. Without
    /// one it is the stored bytes (a reference count, no copy).
    pub(crate) fn body(&self, notice: Option<&str>) -> Bytes {
        let stored = &self.output.bytes;
        match notice {
            Some(notice) if self.output.status.is_success() => {
                let at = self.notice_at.min(stored.len());
                let mut body = Vec::with_capacity(stored.len() + notice.len());
                body.extend_from_slice(&stored[..at]);
                body.extend_from_slice(notice.as_bytes());
                body.extend_from_slice(&stored[at..]);
                Bytes::from(body)
            }
            _ => stored.clone(),
        }
    }
}

/// One week in its three forms.
#[derive(Debug, Clone)]
pub(crate) struct WeekPages {
    pub(crate) html: HtmlPage,
    pub(crate) json: Output,
    pub(crate) markdown: Output,
}

impl WeekPages {
    fn render(report: &WeekReport, now: DateTime<Utc>) -> WeekPages {
        WeekPages {
            html: html_page(report, now),
            json: json_output(report),
            markdown: markdown_output(report),
        }
    }
}

/// The week view of `report`, "today" marked as of `now`.
pub(crate) fn html_page(report: &WeekReport, now: DateTime<Utc>) -> HtmlPage {
    HtmlPage::new(html::render(report, Some(now)), StatusCode::OK)
}

/// `report` as JSON.
pub(crate) fn json_output(report: &WeekReport) -> Output {
    match json::render(report) {
        Ok(body) => Output::new(StatusCode::OK, JSON, body),
        Err(err) => {
            tracing::error!(error = %err, week = %report.week, "week JSON failed to serialise");
            Output::failed("serialise this week")
        }
    }
}

/// `report` as the Markdown summary.
pub(crate) fn markdown_output(report: &WeekReport) -> Output {
    Output::new(StatusCode::OK, MARKDOWN, markdown::render(report))
}

/// What a rendering was made from; see the module doc.
#[derive(Debug, Clone)]
pub(crate) struct Key {
    pub(crate) reports: Reports,
    pub(crate) last_success_at: Option<DateTime<Utc>>,
    /// The team's local date.
    pub(crate) today: NaiveDate,
}

impl Key {
    fn matches(&self, other: &Key) -> bool {
        Arc::ptr_eq(&self.reports, &other.reports)
            && self.last_success_at == other.last_success_at
            && self.today == other.today
    }
}

/// Everything rendered from one [`Key`].
#[derive(Debug)]
pub(crate) struct Rendered {
    key: Key,
    /// Every week with a report, plus this week and the two beside it (the
    /// page's navigation links), empty when they have no data.
    weeks: BTreeMap<IsoWeekId, WeekPages>,
    pub(crate) calendar: Output,
}

impl Rendered {
    /// Renders everything for `key`; `now` (whose local date is
    /// `key.today`) marks today and dates the weeks without data when no
    /// cycle succeeded yet.
    fn render(key: Key, now: DateTime<Utc>, time_zone: Tz, ics_options: &IcsOptions) -> Rendered {
        let stamp = key.last_success_at.unwrap_or(now);
        let mut weeks: BTreeMap<IsoWeekId, WeekPages> = key
            .reports
            .iter()
            .map(|(week, report)| (*week, WeekPages::render(report, now)))
            .collect();
        let this_week = IsoWeekId::of_date(key.today);
        for week in [this_week.prev(), this_week, this_week.next()] {
            weeks.entry(week).or_insert_with(|| {
                WeekPages::render(&WeekReport::empty(week, time_zone, stamp), now)
            });
        }
        let calendar = Output::new(
            StatusCode::OK,
            CALENDAR,
            ics::render(key.reports.values(), stamp, ics_options),
        );
        Rendered {
            key,
            weeks,
            calendar,
        }
    }

    /// The rendered pages of `week`, if it is one of the stored weeks.
    pub(crate) fn week(&self, week: IsoWeekId) -> Option<&WeekPages> {
        self.weeks.get(&week)
    }
}

/// The content type of `/calendar.ics`.
pub(crate) const CALENDAR: &str = "text/calendar; charset=utf-8";

/// The latest [`Rendered`], and the lock that makes one renderer at a time.
#[derive(Debug, Default)]
pub(crate) struct PageCache {
    current: RwLock<Option<Arc<Rendered>>>,
    rendering: Mutex<()>,
}

impl PageCache {
    /// The rendering for `key`: the stored one when it matches, else a new
    /// one (rendered once: whoever comes second finds it done).
    pub(crate) fn get(
        &self,
        key: Key,
        now: DateTime<Utc>,
        time_zone: Tz,
        ics_options: &IcsOptions,
    ) -> Arc<Rendered> {
        if let Some(found) = self.matching(&key) {
            return found;
        }
        // No await while held; a poisoned lock only means another renderer
        // panicked, and rendering again is safe.
        let _rendering = self
            .rendering
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(found) = self.matching(&key) {
            return found;
        }
        let rendered = Arc::new(Rendered::render(key, now, time_zone, ics_options));
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::clone(&rendered));
        rendered
    }

    fn matching(&self, key: &Key) -> Option<Arc<Rendered>> {
        let current = self.current.read().unwrap_or_else(PoisonError::into_inner);
        current
            .as_ref()
            .filter(|rendered| rendered.key.matches(key))
            .map(Arc::clone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const LA: Tz = chrono_tz::America::Los_Angeles;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, day, hour, 0, 0).unwrap()
    }

    fn key(reports: &Reports, now: DateTime<Utc>) -> Key {
        Key {
            reports: Arc::clone(reports),
            last_success_at: Some(at(1, 19)),
            today: now.with_timezone(&LA).date_naive(),
        }
    }

    fn reports() -> Reports {
        let week: IsoWeekId = "2026-W49".parse().unwrap();
        Arc::new(BTreeMap::from([(
            week,
            WeekReport::empty(week, LA, at(1, 19)),
        )]))
    }

    #[test]
    fn the_same_key_is_rendered_once() {
        let cache = PageCache::default();
        let reports = reports();
        let now = at(1, 20);
        let first = cache.get(key(&reports, now), now, LA, &IcsOptions::default());
        let second = cache.get(key(&reports, now), now, LA, &IcsOptions::default());
        assert!(Arc::ptr_eq(&first, &second));
        // Stored weeks: the one with data and the two beside it.
        let stored: Vec<String> = first.weeks.keys().map(ToString::to_string).collect();
        assert_eq!(stored, ["2026-W48", "2026-W49", "2026-W50"]);
    }

    #[test]
    fn new_data_a_new_day_or_a_new_success_render_again() {
        let cache = PageCache::default();
        let mut reports = reports();
        let now = at(1, 20);
        let first = cache.get(key(&reports, now), now, LA, &IcsOptions::default());
        // Changed in place: the cache holds the map too, so it is copied.
        Arc::make_mut(&mut reports).clear();
        let changed = cache.get(key(&reports, now), now, LA, &IcsOptions::default());
        assert!(!Arc::ptr_eq(&first, &changed));

        // The next local day (Wednesday 07:00 UTC is still Tuesday in LA).
        let same_day = at(2, 7);
        let again = cache.get(
            key(&reports, same_day),
            same_day,
            LA,
            &IcsOptions::default(),
        );
        assert!(Arc::ptr_eq(&changed, &again));
        let next_day = at(2, 9);
        let later = cache.get(
            key(&reports, next_day),
            next_day,
            LA,
            &IcsOptions::default(),
        );
        assert!(!Arc::ptr_eq(&again, &later));

        let mut succeeded = key(&reports, next_day);
        succeeded.last_success_at = Some(at(2, 9));
        let newer = cache.get(succeeded, next_day, LA, &IcsOptions::default());
        assert!(!Arc::ptr_eq(&later, &newer));
    }

    #[test]
    fn a_notice_goes_first_inside_main_and_only_into_a_copy() {
        let page = HtmlPage::new(
            Ok("<html><body><main><p>week</p></main></body></html>".to_string()),
            StatusCode::OK,
        );
        let body = page.body(Some("<p>stale</p>"));
        assert_eq!(
            &body[..],
            b"<html><body><main><p>stale</p><p>week</p></main></body></html>"
        );
        assert_eq!(
            &page.body(None)[..],
            b"<html><body><main><p>week</p></main></body></html>"
        );
    }
}
