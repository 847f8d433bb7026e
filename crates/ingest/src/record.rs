//! A fast delimited-record reader for the results files.
//!
//! The Ministry's files are not quoted: a line is split on the separator directly, which is
//! several times cheaper than a general CSV state machine. A line holding a double quote (the
//! 2024 European files quote some headers and labels) goes through the `csv` crate instead,
//! joined with the following lines while a quoted field is left open.

use crate::error::{IngestError, Location};
use std::io::BufRead;

/// One record: fields as byte slices of one buffer, and the line it started on.
#[derive(Debug, Default, Clone)]
pub(crate) struct Record {
    buf: Vec<u8>,
    /// (start, end) of each field in `buf`.
    spans: Vec<(usize, usize)>,
    line: u64,
}

impl Record {
    pub(crate) fn len(&self) -> usize {
        self.spans.len()
    }

    pub(crate) fn get(&self, i: usize) -> Option<&[u8]> {
        let (start, end) = *self.spans.get(i)?;
        self.buf.get(start..end)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.len()).filter_map(|i| self.get(i))
    }

    /// The 1-based line the record starts on.
    pub(crate) fn line(&self) -> u64 {
        self.line
    }

    fn clear(&mut self) {
        self.buf.clear();
        self.spans.clear();
    }

    fn push(&mut self, field: &[u8]) {
        let start = self.buf.len();
        self.buf.extend_from_slice(field);
        self.spans.push((start, self.buf.len()));
    }
}

/// Reads records from a buffered input.
pub(crate) struct Records<R: BufRead> {
    input: R,
    delimiter: u8,
    line: u64,
    raw: Vec<u8>,
    source: String,
}

impl<R: BufRead> Records<R> {
    pub(crate) fn new(input: R, delimiter: u8, source: &str) -> Self {
        Self {
            input,
            delimiter,
            line: 0,
            raw: Vec::with_capacity(4096),
            source: source.to_string(),
        }
    }

    fn read_line(
        input: &mut R,
        into: &mut Vec<u8>,
        source: &str,
        line: u64,
    ) -> Result<usize, IngestError> {
        input.read_until(b'\n', into).map_err(|e| {
            let detail = e.to_string();
            let loc = Location::line(source, line + 1);
            if detail.starts_with("gzip") {
                IngestError::Compression { loc, detail }
            } else {
                IngestError::Io { loc, detail }
            }
        })
    }

    /// Reads the next record; `Ok(false)` at the end of the input.
    pub(crate) fn read(&mut self, rec: &mut Record) -> Result<bool, IngestError> {
        rec.clear();
        // The line goes straight into the record's buffer; fields are spans of it.
        if Self::read_line(&mut self.input, &mut rec.buf, &self.source, self.line)? == 0 {
            return Ok(false);
        }
        self.line += 1;
        rec.line = self.line;
        let mut end = rec.buf.len();
        while end > 0 && matches!(rec.buf[end - 1], b'\n' | b'\r') {
            end -= 1;
        }
        // One pass finds the separators, and a quote if there is one.
        let d = self.delimiter;
        let mut start = 0;
        for (i, b) in rec.buf[..end].iter().enumerate() {
            if *b == d {
                rec.spans.push((start, i));
                start = i + 1;
            } else if *b == b'"' {
                rec.spans.clear();
                return self.read_quoted(rec);
            }
        }
        rec.spans.push((start, end));
        Ok(true)
    }

    /// A line with quotes: joined with the next lines while a quote is open, then parsed by
    /// the `csv` crate.
    fn read_quoted(&mut self, rec: &mut Record) -> Result<bool, IngestError> {
        self.raw.clear();
        std::mem::swap(&mut self.raw, &mut rec.buf);
        while self.raw.iter().filter(|b| **b == b'"').count() % 2 == 1 {
            if Self::read_line(&mut self.input, &mut self.raw, &self.source, self.line)? == 0 {
                return Err(IngestError::Row {
                    loc: Location::line(&self.source, rec.line),
                    detail:
                        "a quoted field is not closed before the end of the file (truncated file?)"
                            .into(),
                });
            }
            self.line += 1;
        }
        let mut line = self.raw.as_slice();
        while let Some((b'\n' | b'\r', rest)) = line.split_last() {
            line = rest;
        }
        let mut r = csv::ReaderBuilder::new()
            .delimiter(self.delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(line);
        let mut br = csv::ByteRecord::new();
        match r.read_byte_record(&mut br) {
            Ok(_) => {
                for f in br.iter() {
                    rec.push(f);
                }
                Ok(true)
            }
            Err(e) => Err(IngestError::Row {
                loc: Location::line(&self.source, rec.line),
                detail: e.to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &[u8]) -> Vec<(u64, Vec<String>)> {
        let mut r = Records::new(text, b';', "t");
        let mut rec = Record::default();
        let mut out = Vec::new();
        while r.read(&mut rec).unwrap() {
            out.push((
                rec.line(),
                rec.iter()
                    .map(|f| String::from_utf8_lossy(f).into_owned())
                    .collect(),
            ));
        }
        out
    }

    #[test]
    fn plain_quoted_crlf_and_multiline() {
        let got =
            all(b"a;b;c\r\n1;;3\n\"x;y\";\"say \"\"hi\"\"\";z\n\"multi\nline\";2\nlast;no newline");
        assert_eq!(got[0], (1, vec!["a".into(), "b".into(), "c".into()]));
        assert_eq!(got[1], (2, vec!["1".into(), "".into(), "3".into()]));
        assert_eq!(
            got[2],
            (3, vec!["x;y".into(), "say \"hi\"".into(), "z".into()])
        );
        assert_eq!(got[3], (4, vec!["multi\nline".into(), "2".into()]));
        assert_eq!(got[4], (6, vec!["last".into(), "no newline".into()]));
    }

    #[test]
    fn an_unclosed_quote_at_the_end_is_an_error() {
        let mut r = Records::new(&b"a;\"open\nmore"[..], b';', "cut.csv");
        let mut rec = Record::default();
        let e = r.read(&mut rec).unwrap_err();
        assert!(
            e.to_string().contains("cut.csv:1") && e.to_string().contains("not closed"),
            "{e}"
        );
    }
}
