//! Quoting user input in messages: never echo more than a line's worth of it.

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
}
