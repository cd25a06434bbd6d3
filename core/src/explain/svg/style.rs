//! The picture's colours, fonts, stylesheet and gradients, and which colour and label class
//! each kind of event gets.

use crate::trace::EventKind;

pub(super) const GRID: &str = "#e5e7eb";
pub(super) const THREAD: &str = "#2563eb";
pub(super) const PROCESS: &str = "#9ca3af";
pub(super) const POLLER: &str = "#7c3aed";
pub(super) const WAIT: &str = "#f59e0b";
pub(super) const HANG: &str = "#dc2626";
pub(super) const LIST: &str = "#0d9488";
pub(super) const SIGNAL: &str = "#16a34a";
pub(super) const NO_WORK: &str = "#ea580c";
pub(super) const SLATE: &str = "#475569";

/// The stylesheet (ink `#1f2937`, muted `#6b7280`, and the colours above; a test keeps them in
/// step).
pub(super) const STYLE: &str = r#"<style>
text { font-family: 'Segoe UI', 'Helvetica Neue', Helvetica, Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif; fill: #1f2937; }
.title { font-size: 20px; font-weight: 700; }
.badge { font-size: 12px; font-weight: 700; fill: #ffffff; letter-spacing: 0.04em; }
.sub { font-size: 12px; fill: #6b7280; }
.story { font-size: 13px; fill: #991b1b; font-weight: 600; }
.story.ok { fill: #166534; }
.tick { font-size: 10px; fill: #6b7280; text-anchor: middle; }
.axis { font-size: 10px; fill: #6b7280; }
.forever { fill: #dc2626; font-style: italic; font-size: 11px; text-anchor: start; }
.flag { font-size: 11.5px; font-weight: 700; fill: #dc2626; }
.lane { font-size: 15px; font-weight: 700; }
.kind { font-size: 11px; font-weight: 400; fill: #6b7280; }
.sid { font-family: Consolas, Menlo, 'DejaVu Sans Mono', 'Liberation Mono', monospace; font-size: 11px; fill: #374151; }
.note { font-size: 11px; fill: #6b7280; }
.lbl, .flag, .tick { paint-order: stroke; stroke: #ffffff; stroke-width: 3px; stroke-linejoin: round; }
.lbl { font-size: 11px; fill: #374151; }
.lbl.warn { fill: #b45309; font-weight: 600; }
.lbl.bad { fill: #dc2626; font-weight: 700; }
.lbl.good { fill: #15803d; font-weight: 600; }
.inbar { font-size: 11px; font-weight: 700; fill: #ffffff; }
.listname { font-size: 13px; font-weight: 700; fill: #0d9488; }
.listkey { font-family: Consolas, Menlo, 'DejaVu Sans Mono', 'Liberation Mono', monospace; font-size: 11px; fill: #0d9488; }
.pm { font-size: 11px; font-weight: 700; fill: #0d9488; text-anchor: middle; }
.legend { font-size: 11.5px; fill: #374151; }
</style>"#;

/// The gradients and arrow heads the picture refers to (`url(#mh-...)`).
pub(super) const DEFS: &str = r##"<defs>
<linearGradient id="mh-hang-fade" x1="0" y1="0" x2="1" y2="0"><stop offset="0" stop-color="#dc2626"/><stop offset="0.7" stop-color="#dc2626"/><stop offset="1" stop-color="#dc2626" stop-opacity="0.2"/></linearGradient>
<linearGradient id="mh-wait-fade" x1="0" y1="0" x2="1" y2="0"><stop offset="0" stop-color="#f59e0b"/><stop offset="0.7" stop-color="#f59e0b"/><stop offset="1" stop-color="#f59e0b" stop-opacity="0.2"/></linearGradient>
<linearGradient id="mh-poller-fade" x1="0" y1="0" x2="1" y2="0"><stop offset="0" stop-color="#7c3aed"/><stop offset="0.8" stop-color="#7c3aed"/><stop offset="1" stop-color="#7c3aed" stop-opacity="0.15"/></linearGradient>
<linearGradient id="mh-list-fade" x1="0" y1="0" x2="1" y2="0"><stop offset="0" stop-color="#0d9488"/><stop offset="0.85" stop-color="#0d9488"/><stop offset="1" stop-color="#0d9488" stop-opacity="0.35"/></linearGradient>
<linearGradient id="mh-forever" x1="0" y1="0" x2="1" y2="0"><stop offset="0" stop-color="#fee2e2" stop-opacity="0.9"/><stop offset="1" stop-color="#fee2e2" stop-opacity="0.15"/></linearGradient>
<marker id="mh-arrow-poller" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 Z" fill="#7c3aed"/></marker>
<marker id="mh-arrow-signal" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 Z" fill="#16a34a"/></marker>
<marker id="mh-arrow-nowork" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 Z" fill="#ea580c"/></marker>
</defs>"##;

/// The colour of an event's marker on its lane.
pub(super) fn marker_color(kind: EventKind) -> &'static str {
    match kind {
        EventKind::ListCreated | EventKind::Logon | EventKind::Logoff | EventKind::ListRemoved => {
            LIST
        }
        EventKind::OpenStore | EventKind::ReleaseWait | EventKind::ReleaseDone => WAIT,
        EventKind::PollerCreated
        | EventKind::PollerRespawned
        | EventKind::PollerStarted
        | EventKind::PollerStopRequested
        | EventKind::PollerFound
        | EventKind::PollerStopped
        | EventKind::PollerExhausted => POLLER,
        EventKind::DidWork => SIGNAL,
        EventKind::SignalledWithoutWork => NO_WORK,
        EventKind::Impersonate
        | EventKind::LockTaken
        | EventKind::LockReleased
        | EventKind::Spawn
        | EventKind::Signal
        | EventKind::WaitDone => THREAD,
        EventKind::LockWait | EventKind::Wait => WAIT,
        EventKind::Revert | EventKind::Skipped | EventKind::PollerQuit | EventKind::ThreadDone => {
            SLATE
        }
    }
}

/// The class of a marker's label: bad (a quit, a signal without the work), a wait, good work.
pub(super) fn label_class(kind: EventKind) -> &'static str {
    match kind {
        EventKind::PollerQuit | EventKind::SignalledWithoutWork => "lbl bad",
        EventKind::ReleaseWait | EventKind::LockWait | EventKind::Wait => "lbl warn",
        EventKind::DidWork => "lbl good",
        EventKind::Impersonate
        | EventKind::Revert
        | EventKind::Skipped
        | EventKind::ListCreated
        | EventKind::PollerCreated
        | EventKind::PollerStarted
        | EventKind::Logon
        | EventKind::OpenStore
        | EventKind::ReleaseDone
        | EventKind::PollerRespawned
        | EventKind::Logoff
        | EventKind::ListRemoved
        | EventKind::PollerStopRequested
        | EventKind::PollerFound
        | EventKind::PollerStopped
        | EventKind::PollerExhausted
        | EventKind::ThreadDone
        | EventKind::LockTaken
        | EventKind::LockReleased
        | EventKind::Spawn
        | EventKind::WaitDone
        | EventKind::Signal => "lbl",
    }
}

/// Whether a marker has a vertical connector to another lane (CreateThread, a signal).
pub(super) fn has_connector(kind: EventKind) -> bool {
    match kind {
        EventKind::PollerCreated
        | EventKind::PollerRespawned
        | EventKind::DidWork
        | EventKind::SignalledWithoutWork => true,
        EventKind::Impersonate
        | EventKind::Revert
        | EventKind::Skipped
        | EventKind::ListCreated
        | EventKind::PollerStarted
        | EventKind::Logon
        | EventKind::OpenStore
        | EventKind::ReleaseWait
        | EventKind::ReleaseDone
        | EventKind::Logoff
        | EventKind::ListRemoved
        | EventKind::PollerStopRequested
        | EventKind::PollerFound
        | EventKind::PollerQuit
        | EventKind::PollerStopped
        | EventKind::PollerExhausted
        | EventKind::ThreadDone
        | EventKind::LockWait
        | EventKind::LockTaken
        | EventKind::LockReleased
        | EventKind::Spawn
        | EventKind::Wait
        | EventKind::WaitDone
        | EventKind::Signal => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INK: &str = "#1f2937";
    const MUTED: &str = "#6b7280";
    const FONT: &str =
        "'Segoe UI', 'Helvetica Neue', Helvetica, Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif";
    const MONO: &str = "Consolas, Menlo, 'DejaVu Sans Mono', 'Liberation Mono', monospace";

    #[test]
    fn the_stylesheet_and_gradients_use_the_colour_and_font_constants() {
        for (name, value) in [
            ("FONT", FONT),
            ("MONO", MONO),
            ("INK", INK),
            ("MUTED", MUTED),
            ("HANG", HANG),
            ("LIST", LIST),
        ] {
            assert!(STYLE.contains(value), "STYLE lacks {name} {value}");
        }
        for (name, value) in [
            ("HANG", HANG),
            ("WAIT", WAIT),
            ("POLLER", POLLER),
            ("LIST", LIST),
            ("SIGNAL", SIGNAL),
            ("NO_WORK", NO_WORK),
        ] {
            assert!(DEFS.contains(value), "DEFS lacks {name} {value}");
        }
    }
}
