//! Reading `.gz` files directly, with a guard against decompression bombs.
//!
//! A BAN department export is `adresses-<dep>.csv.gz`: the importer reads it through gzip
//! without unpacking it to disk. A hostile (or broken) archive can expand a few kilobytes into
//! terabytes, so the stream stops with an error when either the total output passes
//! [`GzipLimits::max_output`] or the expansion ratio passes [`GzipLimits::max_ratio`] (checked
//! once [`GzipLimits::ratio_after`] bytes have come out: CSV compresses 5–15×, a bomb 1000×).

use flate2::read::MultiGzDecoder;
use std::cell::Cell;
use std::io::{self, BufRead, BufReader, Read};
use std::rc::Rc;

/// Limits applied to a gzip stream.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GzipLimits {
    /// Most bytes the stream may produce (default 64 GiB: the national BAN is ~4 GiB).
    pub max_output: u64,
    /// Most output bytes per input byte (default 200).
    pub max_ratio: u64,
    /// Output size after which the ratio is checked (default 64 MiB).
    pub ratio_after: u64,
}

impl Default for GzipLimits {
    fn default() -> Self {
        Self {
            max_output: 64 << 30,
            max_ratio: 200,
            ratio_after: 64 << 20,
        }
    }
}

struct Counting<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// A gzip decoder that enforces [`GzipLimits`] and names truncated streams.
pub struct GuardedGzip<R: Read> {
    inner: MultiGzDecoder<Counting<R>>,
    compressed: Rc<Cell<u64>>,
    produced: u64,
    limits: GzipLimits,
}

impl<R: Read> GuardedGzip<R> {
    pub fn new(input: R, limits: GzipLimits) -> Self {
        let compressed = Rc::new(Cell::new(0));
        Self {
            inner: MultiGzDecoder::new(Counting {
                inner: input,
                count: compressed.clone(),
            }),
            compressed,
            produced: 0,
            limits,
        }
    }
}

impl<R: Read> Read for GuardedGzip<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf).map_err(|e| {
            if e.kind() == io::ErrorKind::UnexpectedEof {
                io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "gzip stream truncated after {} compressed bytes (incomplete download?)",
                        self.compressed.get()
                    ),
                )
            } else {
                io::Error::new(e.kind(), format!("gzip: {e}"))
            }
        })?;
        self.produced += n as u64;
        if self.produced > self.limits.max_output {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "gzip: decompressed size passed the limit of {} bytes (decompression bomb?)",
                    self.limits.max_output
                ),
            ));
        }
        let packed = self.compressed.get().max(1);
        if self.produced > self.limits.ratio_after && self.produced / packed > self.limits.max_ratio
        {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "gzip: {} bytes came out of {packed} compressed bytes, a ratio above {}: \
                     refusing a likely decompression bomb",
                    self.produced, self.limits.max_ratio
                ),
            ));
        }
        Ok(n)
    }
}

/// Reads `input` through gzip when it starts with the gzip magic bytes, as is otherwise.
pub fn maybe_gunzip<'a, R: Read + 'a>(
    input: R,
    limits: GzipLimits,
) -> io::Result<Box<dyn Read + 'a>> {
    let mut b = BufReader::with_capacity(1 << 16, input);
    let head = b.fill_buf()?;
    if head.starts_with(&[0x1f, 0x8b]) {
        Ok(Box::new(GuardedGzip::new(b, limits)))
    } else {
        Ok(Box::new(b))
    }
}

#[cfg(test)]
pub(crate) mod tests_support {
    use flate2::{Compression, write::GzEncoder};
    use std::io::Write;

    /// Gzips bytes (tests).
    pub(crate) fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::tests_support::gz;
    use super::*;

    #[test]
    fn plain_and_gzip_inputs_read_the_same() {
        let data = b"id;numero\n1;2\n".repeat(100);
        let mut a = String::new();
        maybe_gunzip(&gz(&data)[..], GzipLimits::default())
            .unwrap()
            .read_to_string(&mut a)
            .unwrap();
        let mut b = String::new();
        maybe_gunzip(&data[..], GzipLimits::default())
            .unwrap()
            .read_to_string(&mut b)
            .unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len(), data.len());
    }

    #[test]
    fn a_bomb_is_refused() {
        // 64 MiB of zeros packs into ~65 KB: ratio ~1000.
        let bomb = gz(&vec![0u8; 64 << 20]);
        assert!(bomb.len() < 200_000);
        let limits = GzipLimits {
            ratio_after: 1 << 20,
            ..Default::default()
        };
        let mut out = Vec::new();
        let e = maybe_gunzip(&bomb[..], limits)
            .unwrap()
            .read_to_end(&mut out)
            .unwrap_err();
        assert!(e.to_string().contains("decompression bomb"), "{e}");
        assert!(
            out.len() < 8 << 20,
            "stopped early, after {} bytes",
            out.len()
        );
        let limits = GzipLimits {
            max_output: 1000,
            ..Default::default()
        };
        let e = maybe_gunzip(&bomb[..], limits)
            .unwrap()
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert!(e.to_string().contains("limit of 1000 bytes"), "{e}");
    }

    #[test]
    fn a_truncated_stream_says_so() {
        let data: Vec<u8> = (0..200_000u32).flat_map(|i| i.to_le_bytes()).collect();
        let z = gz(&data);
        let cut = &z[..z.len() / 2];
        let e = maybe_gunzip(cut, GzipLimits::default())
            .unwrap()
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert!(e.to_string().contains("truncated"), "{e}");
    }
}
