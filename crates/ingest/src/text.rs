//! Bytes to text and numbers: encodings (UTF-8 or ISO-8859-1), decimal commas, percent signs,
//! header names compared without accents or case.

use crate::error::{IngestError, Location, Warning, WarningKind, Warnings};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// The character encoding of an input file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// Decided from the first non-ASCII bytes (the header's `é` in the Ministry's files); a
    /// later line in the other encoding is decoded with it and reported as a warning.
    #[default]
    Auto,
    Utf8,
    /// ISO-8859-1, read as its superset windows-1252 (the Ministry's 2017–2022 `.txt` files).
    Latin1,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Detected {
    Utf8,
    Latin1,
}

/// Decodes fields one at a time, so that ASCII fields (codes and counts: most of a results
/// file) cost nothing.
#[derive(Debug)]
pub(crate) struct Decoder {
    mode: Encoding,
    detected: Option<Detected>,
}

fn latin1(bytes: &[u8]) -> String {
    encoding_rs::WINDOWS_1252
        .decode_without_bom_handling(bytes)
        .0
        .into_owned()
}

fn first_bad_byte(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(_) => String::new(),
        Err(e) => bytes
            .get(e.valid_up_to())
            .map(|b| format!("byte 0x{b:02X} at offset {}", e.valid_up_to()))
            .unwrap_or_else(|| "a multi-byte sequence cut short".into()),
    }
}

impl Decoder {
    pub(crate) fn new(mode: Encoding) -> Self {
        Self {
            mode,
            detected: None,
        }
    }

    /// The encoding in use, once known.
    pub(crate) fn detected(&self) -> Option<Encoding> {
        match (self.mode, self.detected) {
            (Encoding::Auto, None) => None,
            (Encoding::Auto, Some(Detected::Utf8)) | (Encoding::Utf8, _) => Some(Encoding::Utf8),
            (Encoding::Auto, Some(Detected::Latin1)) | (Encoding::Latin1, _) => {
                Some(Encoding::Latin1)
            }
        }
    }

    /// Decodes one field. `loc` names the line and field for errors and warnings.
    pub(crate) fn decode<'a>(
        &mut self,
        bytes: &'a [u8],
        loc: impl FnOnce() -> Location,
        warnings: &mut Warnings,
    ) -> Result<Cow<'a, str>, IngestError> {
        if bytes.is_ascii() {
            // ASCII is valid UTF-8: no copy.
            return Ok(Cow::Borrowed(
                std::str::from_utf8(bytes).unwrap_or_default(),
            ));
        }
        let utf8 = std::str::from_utf8(bytes).ok();
        match self.mode {
            Encoding::Utf8 => utf8
                .map(Cow::Borrowed)
                .ok_or_else(|| IngestError::Encoding {
                    loc: loc(),
                    detail: format!(
                        "not valid UTF-8 ({}): the file looks ISO-8859-1 (latin-1); \
                     read it with encoding latin1 (or auto)",
                        first_bad_byte(bytes)
                    ),
                }),
            Encoding::Latin1 => match utf8 {
                Some(s) => Err(IngestError::Encoding {
                    loc: loc(),
                    detail: format!(
                        "{s:?} is valid UTF-8: read as latin-1 it would become {:?}; \
                         read the file with encoding utf8 (or auto)",
                        latin1(bytes)
                    ),
                }),
                None => Ok(Cow::Owned(latin1(bytes))),
            },
            Encoding::Auto => {
                let detected = *self.detected.get_or_insert(if utf8.is_some() {
                    Detected::Utf8
                } else {
                    Detected::Latin1
                });
                match (detected, utf8) {
                    (Detected::Utf8, Some(s)) => Ok(Cow::Borrowed(s)),
                    (Detected::Latin1, None) => Ok(Cow::Owned(latin1(bytes))),
                    (Detected::Utf8, None) => {
                        let loc = loc();
                        warnings.push(Warning {
                            kind: WarningKind::Encoding,
                            message: format!(
                                "not UTF-8 like the rest of the file ({}); decoded as windows-1252",
                                first_bad_byte(bytes)
                            ),
                            loc,
                            bureau: None,
                        });
                        Ok(Cow::Owned(latin1(bytes)))
                    }
                    (Detected::Latin1, Some(s)) => {
                        warnings.push(Warning {
                            kind: WarningKind::Encoding,
                            message: format!(
                                "{s:?} is UTF-8 in a file otherwise ISO-8859-1; decoded as UTF-8"
                            ),
                            loc: loc(),
                            bureau: None,
                        });
                        Ok(Cow::Borrowed(s))
                    }
                }
            }
        }
    }
}

/// Strips a UTF-8 byte-order mark.
pub(crate) fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

fn trim_bytes(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &b[start..end]
}

/// Parses a count: `1234`, ` 1234 `, `1 234`, `1234.0` or `1234,00` (spreadsheet round-trips).
/// Empty → `None`; anything else is an error (`Err(())`).
pub(crate) fn parse_count(b: &[u8]) -> Result<Option<u64>, ()> {
    let b = trim_bytes(b);
    if b.is_empty() {
        return Ok(None);
    }
    // Fast path: plain digits, the common case by far.
    let mut n: u64 = 0;
    let mut i = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(b[i] - b'0')))
            .ok_or(())?;
        i += 1;
    }
    if i == b.len() {
        return Ok(Some(n));
    }
    if i == 0 {
        return Err(());
    }
    // Thousands separated by spaces (also U+00A0 / U+202F, as UTF-8 or latin-1 bytes).
    let rest = &b[i..];
    if rest.iter().all(|c| *c == b'0') {
        return Err(());
    }
    if (rest[0] == b'.' || rest[0] == b',') && rest[1..].iter().all(|c| *c == b'0') {
        return Ok(Some(n));
    }
    let digits: Vec<u8> = b
        .iter()
        .copied()
        .filter(|c| !matches!(c, b' ' | 0xA0 | 0xC2 | 0xE2 | 0x80 | 0xAF))
        .collect();
    if digits.iter().all(u8::is_ascii_digit) && digits.len() < b.len() {
        let s = std::str::from_utf8(&digits).map_err(|_| ())?;
        return s.parse().map(Some).map_err(|_| ());
    }
    Err(())
}

/// Parses a decimal number written `11,20`, `18.99`, `78,94%` or `-13,9`. Empty → `None`.
pub(crate) fn parse_decimal(s: &str) -> Result<Option<f64>, ()> {
    let t = s.trim().trim_end_matches('%').trim();
    if t.is_empty() {
        return Ok(None);
    }
    let t: String = t
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    if !t
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
    {
        return Err(());
    }
    let v: f64 = t.parse().map_err(|_| ())?;
    if v.is_finite() { Ok(Some(v)) } else { Err(()) }
}

/// Folds a header name for comparison: lower case, accents removed, only letters and digits
/// kept (`"% Voix/Exp"` → `"voixexp"`, `"Code du b.vote"` → `"codedubvote"`).
pub(crate) fn fold(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        let c = match c {
            'à' | 'â' | 'ä' | 'á' | 'À' | 'Â' | 'Ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' => 'e',
            'î' | 'ï' | 'Î' | 'Ï' => 'i',
            'ô' | 'ö' | 'Ô' | 'Ö' => 'o',
            'ù' | 'û' | 'ü' | 'Ù' | 'Û' | 'Ü' => 'u',
            'ç' | 'Ç' => 'c',
            '°' | 'º' => 'o',
            c => c,
        };
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// Left-pads a code with zeros to `width` (the `zfill` that spreadsheet round-trips call for).
pub(crate) fn zfill(s: &str, width: usize) -> String {
    format!("{s:0>width$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts() {
        assert_eq!(parse_count(b"259"), Ok(Some(259)));
        assert_eq!(parse_count(b" 259 "), Ok(Some(259)));
        assert_eq!(parse_count(b""), Ok(None));
        assert_eq!(parse_count(b"1 301 637"), Ok(Some(1_301_637)));
        assert_eq!(parse_count(b"1\xC2\xA0301"), Ok(Some(1301)));
        assert_eq!(parse_count(b"12.0"), Ok(Some(12)));
        assert_eq!(parse_count(b"12,00"), Ok(Some(12)));
        for bad in [
            &b"12.5"[..],
            b"-3",
            b"x",
            b"11,20",
            b"99999999999999999999999",
        ] {
            assert!(parse_count(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn decimals() {
        assert_eq!(parse_decimal("78,94%"), Ok(Some(78.94)));
        assert_eq!(parse_decimal("11,20"), Ok(Some(11.2)));
        assert_eq!(parse_decimal("18.99"), Ok(Some(18.99)));
        assert_eq!(parse_decimal("-13,9"), Ok(Some(-13.9)));
        assert_eq!(parse_decimal(" "), Ok(None));
        assert!(parse_decimal("abc").is_err());
        assert!(parse_decimal("inf").is_err());
    }

    #[test]
    fn folding_header_names() {
        assert_eq!(fold("Code du département"), "codedudepartement");
        assert_eq!(fold("N°Panneau"), "nopanneau");
        assert_eq!(fold("% Voix/Exp"), "voixexp");
        assert_eq!(zfill("1", 4), "0001");
        assert_eq!(zfill("12345", 4), "12345");
    }

    fn loc() -> Location {
        Location::line("t", 2).with_field("Nom")
    }

    #[test]
    fn auto_detects_latin1_and_warns_on_a_utf8_line() {
        let mut d = Decoder::new(Encoding::Auto);
        let mut w = Warnings::default();
        assert_eq!(d.decode(b"Rh\xF4ne", loc, &mut w).unwrap(), "Rhône");
        assert_eq!(d.detected(), Some(Encoding::Latin1));
        assert_eq!(d.decode("Rhône".as_bytes(), loc, &mut w).unwrap(), "Rhône");
        assert_eq!(w.total, 1);
    }

    #[test]
    fn auto_detects_utf8_and_warns_on_a_latin1_line() {
        let mut d = Decoder::new(Encoding::Auto);
        let mut w = Warnings::default();
        assert_eq!(d.decode("Rhône".as_bytes(), loc, &mut w).unwrap(), "Rhône");
        assert_eq!(d.decode(b"Rh\xF4ne", loc, &mut w).unwrap(), "Rhône");
        assert_eq!(w.kept[0].kind, WarningKind::Encoding);
    }

    #[test]
    fn forced_encodings_refuse_the_other_one_clearly() {
        let mut w = Warnings::default();
        let e = Decoder::new(Encoding::Utf8)
            .decode(b"Rh\xF4ne", loc, &mut w)
            .unwrap_err();
        let s = e.to_string();
        assert!(
            s.contains("t:2") && s.contains("0xF4") && s.contains("latin"),
            "{s}"
        );
        let e = Decoder::new(Encoding::Latin1)
            .decode("Rhône".as_bytes(), loc, &mut w)
            .unwrap_err();
        assert!(e.to_string().contains("RhÃ´ne"), "{e}");
    }
}
