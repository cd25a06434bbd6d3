//! Quoting user input in messages (never more than a line's worth of it) and paths in suggested
//! command lines.

use std::path::Path;

/// The most characters of a user's text a message repeats.
pub const QUOTE_MAX: usize = 80;

/// `text` as a quoted string for a one-line message: control characters escaped, and cut at
/// [`QUOTE_MAX`] characters (saying how long it was), so a 10 KB value cannot flood a message.
pub fn quote(text: &str) -> String {
    let count = text.chars().count();
    if count <= QUOTE_MAX {
        return format!("{text:?}");
    }
    let head: String = text.chars().take(QUOTE_MAX).collect();
    format!("{head:?}... ({count} characters)")
}

/// `path` as a shell word for a suggested command line: as it is when that is safe, else in
/// single quotes.
pub fn shell(path: &Path) -> String {
    let text = path.display().to_string();
    if !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+:@%,=".contains(c))
    {
        text
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_cut_and_escape() {
        assert_eq!(quote("S-1-5"), "\"S-1-5\"");
        assert_eq!(quote("a\nb"), "\"a\\nb\"");
        let long = "x".repeat(10_000);
        let quoted = quote(&long);
        assert!(quoted.len() < 120, "{quoted}");
        assert!(quoted.ends_with("(10000 characters)"), "{quoted}");
    }

    #[test]
    fn shell_quotes_only_what_needs_it() {
        assert_eq!(shell(Path::new("a/b-c.json")), "a/b-c.json");
        assert_eq!(shell(Path::new("my report.json")), "'my report.json'");
        assert_eq!(shell(Path::new("it's")), "'it'\\''s'");
        assert_eq!(shell(Path::new("")), "''");
    }
}
