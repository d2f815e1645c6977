//! Weekly push reports: one plain view model ([`model::WeekReport`]) and four
//! renderers of it — a Markdown/plain-text summary for a tracking-bug
//! comment, JSON, the HTML week view, and an iCalendar feed.
//!
//! Everything here is pure: no network, no files, no clock. The caller fills
//! the model (from the push model and the rules' findings) and passes "now"
//! where a renderer needs it. Renderers must not decide anything (conflicts
//! and window warnings arrive as sentences in the model); they only show.

pub mod build;
pub mod html;
pub mod ics;
pub mod json;
pub mod markdown;
pub mod model;
pub mod summary;

pub use build::{all_week_reports, week_report, ReportContext};
pub use model::{
    IsoWeekId, ParseWeekError, PushEntry, SignoffState, SignoffStatus, SizeClass, WeekReport,
};
