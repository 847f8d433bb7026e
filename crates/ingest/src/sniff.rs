//! Guessing a CSV file's separator from its first line.

/// The most frequent of `;`, `,`, tab and `|` outside quotes on the first line (`;` on a tie or
/// when none appears: the Ministry's choice).
pub(crate) fn delimiter(head: &[u8]) -> u8 {
    let line = head.split(|b| *b == b'\n').next().unwrap_or(head);
    let mut counts = [(b';', 0usize), (b',', 0), (b'\t', 0), (b'|', 0)];
    let mut quoted = false;
    for &b in line {
        if b == b'"' {
            quoted = !quoted;
            continue;
        }
        if quoted {
            continue;
        }
        for (d, n) in counts.iter_mut() {
            if *d == b {
                *n += 1;
            }
        }
    }
    let best = counts
        .iter()
        .max_by_key(|(_, n)| *n)
        .copied()
        .unwrap_or((b';', 0));
    if best.1 == 0 || counts[0].1 == best.1 {
        b';'
    } else {
        best.0
    }
}

#[cfg(test)]
mod tests {
    use super::delimiter;

    #[test]
    fn separators() {
        assert_eq!(delimiter(b"a;b;c\n1,2;3;4"), b';');
        assert_eq!(delimiter(b"IRIS,LIBIRIS,COM\n"), b',');
        assert_eq!(delimiter(b"\"a;b\",c,d\n"), b',');
        assert_eq!(delimiter(b"a\tb\tc"), b'\t');
        assert_eq!(delimiter(b"single"), b';');
    }
}
