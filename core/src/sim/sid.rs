//! Security identifiers: the `S-1-...` string form, the binary layout MAPI hashes, and CRC32.
//!
//! The binary layout is the Win32 `SID` structure: revision (1 byte), sub-authority count
//! (1 byte), identifier authority (6 bytes, big-endian), then each sub-authority as a
//! little-endian `u32`. MAPI keys its connection lists by (essentially) the CRC32 of these bytes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The most sub-authorities a SID may carry (`SID_MAX_SUB_AUTHORITIES`).
pub const SUB_AUTHORITIES_MAX: usize = 15;

/// A Windows security identifier.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sid {
    revision: u8,
    /// 48-bit identifier authority.
    authority: u64,
    subs: Vec<u32>,
}

/// Why a SID string did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad SID {}: {reason}", crate::text::quote(text))]
pub struct SidError {
    /// The text that was given (messages quote at most its first 80 characters).
    pub text: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl Sid {
    /// Build a SID from its parts. Panics if the parts break the SID rules (use `parse` for input).
    pub fn new(revision: u8, authority: u64, subs: Vec<u32>) -> Sid {
        assert!(authority < 1 << 48, "identifier authority is 48 bits");
        assert!(!subs.is_empty() && subs.len() <= SUB_AUTHORITIES_MAX);
        Sid {
            revision,
            authority,
            subs,
        }
    }

    /// `S-1-5-18`, the LocalSystem account: the default process user.
    pub fn local_system() -> Sid {
        Sid::new(1, 5, vec![18])
    }

    /// Parse the standard string form, e.g. `S-1-5-21-7-8-9-1001`.
    pub fn parse(text: &str) -> Result<Sid, SidError> {
        let err = |reason| SidError {
            text: text.to_string(),
            reason,
        };
        let mut parts = text.split('-');
        if !matches!(parts.next(), Some("S") | Some("s")) {
            return Err(err("must start with \"S-\""));
        }
        let revision: u8 = match parts.next() {
            Some("1") => 1,
            Some(_) => return Err(err("revision must be 1")),
            None => return Err(err("missing revision")),
        };
        let authority_text = parts
            .next()
            .ok_or_else(|| err("missing identifier authority"))?;
        let authority = if let Some(hex) = authority_text
            .strip_prefix("0x")
            .or_else(|| authority_text.strip_prefix("0X"))
        {
            u64::from_str_radix(hex, 16).map_err(|_| err("identifier authority is not a number"))?
        } else {
            parse_decimal(authority_text)
                .ok_or_else(|| err("identifier authority is not a number"))?
        };
        if authority >= 1 << 48 {
            return Err(err("identifier authority is over 48 bits"));
        }
        let mut subs = Vec::new();
        for part in parts {
            let value = parse_decimal(part).ok_or_else(|| err("sub-authority is not a number"))?;
            let value = u32::try_from(value).map_err(|_| err("sub-authority is over 32 bits"))?;
            subs.push(value);
        }
        if subs.is_empty() {
            return Err(err("needs at least one sub-authority"));
        }
        if subs.len() > SUB_AUTHORITIES_MAX {
            return Err(err("more than 15 sub-authorities"));
        }
        Ok(Sid {
            revision,
            authority,
            subs,
        })
    }

    /// The sub-authorities, the last of which is the relative identifier (RID).
    pub fn sub_authorities(&self) -> &[u32] {
        &self.subs
    }

    /// The same SID with its last sub-authority replaced.
    pub fn with_rid(&self, rid: u32) -> Sid {
        let mut subs = self.subs.clone();
        *subs.last_mut().expect("a SID has a sub-authority") = rid;
        Sid {
            subs,
            ..self.clone()
        }
    }

    /// The binary `SID` structure, as Win32 lays it out in memory.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(8 + 4 * self.subs.len());
        bytes.push(self.revision);
        bytes.push(self.subs.len() as u8);
        bytes.extend_from_slice(&self.authority.to_be_bytes()[2..]);
        for sub in &self.subs {
            bytes.extend_from_slice(&sub.to_le_bytes());
        }
        bytes
    }

    /// CRC32 (IEEE) of the binary SID: the key MAPI files a user's connection list under.
    pub fn crc32(&self) -> u32 {
        crc32fast::hash(&self.to_bytes())
    }

    /// A SID that differs from `self` only in its RID and whose CRC32 equals `target_crc`.
    ///
    /// CRC32 is linear, and the RID is the last four bytes of the binary SID, so those four bytes
    /// can be solved for directly (no search). This is how the `crc-collision` family builds SIDs
    /// that MAPI cannot tell apart.
    pub fn forge_crc(&self, target_crc: u32) -> Sid {
        let bytes = self.to_bytes();
        let prefix = &bytes[..bytes.len() - 4];
        let rid = crc_forge::suffix_for(prefix, target_crc);
        let forged = self.with_rid(u32::from_le_bytes(rid));
        debug_assert_eq!(forged.crc32(), target_crc);
        forged
    }

    /// A SID different from `other` with the same CRC32, built by forging `self`'s RID.
    ///
    /// When `self` differs from `other` only in its RID, forging gives back `other` itself (the
    /// four RID bytes are the unique solution), so the sub-authority before the RID is changed
    /// first (incremented, wrapping). Returns `None` only for a SID with a single sub-authority
    /// that equals `other` after forging (nothing else to change).
    pub fn colliding_with(&self, other: &Sid) -> Option<Sid> {
        let forged = self.forge_crc(other.crc32());
        if forged != *other {
            return Some(forged);
        }
        if self.subs.len() < 2 {
            return None;
        }
        let mut subs = self.subs.clone();
        let domain = subs.len() - 2;
        subs[domain] = subs[domain].wrapping_add(1);
        let forged = Sid {
            subs,
            ..self.clone()
        }
        .forge_crc(other.crc32());
        (forged != *other).then_some(forged)
    }
}

fn parse_decimal(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) || text.len() > 20 {
        return None;
    }
    text.parse().ok()
}

impl fmt::Display for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "S-{}-", self.revision)?;
        if self.authority >= 1 << 32 {
            write!(f, "0x{:012X}", self.authority)?;
        } else {
            write!(f, "{}", self.authority)?;
        }
        for sub in &self.subs {
            write!(f, "-{sub}")?;
        }
        Ok(())
    }
}

impl FromStr for Sid {
    type Err = SidError;
    fn from_str(s: &str) -> Result<Sid, SidError> {
        Sid::parse(s)
    }
}

impl Serialize for Sid {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Sid {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Sid, D::Error> {
        let text = String::deserialize(deserializer)?;
        Sid::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// CRC32 forging: choose four trailing bytes so that a message gets a chosen CRC32.
mod crc_forge {
    const POLY: u32 = 0xEDB8_8320;

    const fn table() -> [u32; 256] {
        let mut table = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut c = i as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 != 0 { POLY ^ (c >> 1) } else { c >> 1 };
                k += 1;
            }
            table[i] = c;
            i += 1;
        }
        table
    }

    const TABLE: [u32; 256] = table();

    /// The four bytes to append to `prefix` so that CRC32(prefix ++ bytes) == target.
    pub fn suffix_for(prefix: &[u8], target: u32) -> [u8; 4] {
        // Register after the prefix (crc32fast returns the final, inverted value).
        let reg_prefix = !crc32fast::hash(prefix);
        // Feeding four bytes x is feeding four zero bytes to (reg ^ x); undo those four rounds
        // from the wanted final register. Each table entry has a distinct top byte, which names
        // the index that was used in each round.
        let mut reg = !target;
        for _ in 0..4 {
            let top = reg >> 24;
            let index = TABLE
                .iter()
                .position(|&t| t >> 24 == top)
                .expect("CRC32 table top bytes are distinct");
            reg = ((reg ^ TABLE[index]) << 8) | index as u32;
        }
        (reg ^ reg_prefix).to_le_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_roundtrip(text: &str) {
        assert_eq!(Sid::parse(text).unwrap().to_string(), text);
    }

    #[test]
    fn parse_print_roundtrip() {
        check_roundtrip("S-1-5-18");
        check_roundtrip("S-1-5-21-7-8-9-1001");
        check_roundtrip("S-1-0x123456789ABC-1");
    }

    #[test]
    fn rejects_bad_text() {
        for bad in [
            "",
            "S",
            "S-1",
            "S-1-5",
            "X-1-5-18",
            "S-2-5-18",
            "S-1-5-x",
            "S-1-5-4294967296",
            "S-1-5--1",
            "S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16",
        ] {
            assert!(Sid::parse(bad).is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn binary_layout() {
        let sid = Sid::parse("S-1-5-21-1001").unwrap();
        assert_eq!(
            sid.to_bytes(),
            [1, 2, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0, 0xE9, 3, 0, 0]
        );
    }

    #[test]
    fn crc_test_vector() {
        // LocalSystem: 01 01 00 00 00 00 00 05 12 00 00 00, CRC32 computed independently
        // (Python: zlib.crc32(bytes.fromhex("010100000000000512000000"))).
        assert_eq!(
            Sid::local_system().to_bytes(),
            [1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0]
        );
        assert_eq!(Sid::local_system().crc32(), 0x130E_45A4);
    }

    #[test]
    fn forging_collides_on_purpose() {
        let a = Sid::parse("S-1-5-21-7-8-9-1001").unwrap();
        let b = Sid::parse("S-1-5-21-7-8-9-1002").unwrap();
        assert_ne!(a.crc32(), b.crc32(), "ordinary SIDs do not collide");
        let forged = b.colliding_with(&a).unwrap();
        assert_ne!(forged, a);
        assert_eq!(forged.crc32(), a.crc32());
        assert_eq!(forged.sub_authorities()[..3], b.sub_authorities()[..3]);
        let other_domain = Sid::parse("S-1-5-21-7-8-10-1002").unwrap();
        let forged = other_domain.colliding_with(&a).unwrap();
        assert_eq!(forged.crc32(), a.crc32());
        assert_eq!(
            forged.sub_authorities()[..4],
            other_domain.sub_authorities()[..4]
        );
    }
}
