//! A small XLSX (Office Open XML spreadsheet) writer for the exports: sheets of text and
//! number cells, the first row bold, column widths from the contents, the package deflated.
//! No formulas, no shared strings (cells hold their text inline), no dates: what the
//! diagnostic's tables need and nothing else, without a dependency beyond `flate2`.
//!
//! [`read`] reads back the workbooks this module writes (tests compare them with the CSV).

use flate2::Compression;
use flate2::write::DeflateEncoder;
use std::fmt::Write as _;
use std::io::Write;

/// A cell of a sheet.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// Nothing.
    Empty,
    /// Text, written as an inline string.
    Text(String),
    /// A number (a count, a share, a weight).
    Number(f64),
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_string())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

/// A sheet: its name (at most 31 characters, none of `[]:*?/\`; others are replaced and it is
/// cut) and its rows, the first being the header, in bold.
#[derive(Clone, Debug, Default)]
pub struct Sheet {
    pub name: String,
    pub rows: Vec<Vec<Cell>>,
}

/// The column letters of a 0-based index: 0 → `A`, 26 → `AA`.
fn column(mut i: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // Control characters are not allowed in XML 1.0.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// A sheet name Excel accepts, unique among `taken` (case-insensitively): forbidden characters
/// replaced, cut to 31 characters, numbered when taken.
pub fn sheet_name(name: &str, taken: &[String]) -> String {
    let clean: String = name
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '-' } else { c })
        .collect();
    let clean = clean.trim_matches('\'').trim();
    let base: String = if clean.is_empty() {
        "Feuille".into()
    } else {
        clean.chars().take(31).collect()
    };
    let mut candidate = base.clone();
    let mut n = 2;
    while taken.iter().any(|t| t.eq_ignore_ascii_case(&candidate)) {
        let suffix = format!(" ({n})");
        let keep = 31 - suffix.chars().count();
        candidate = format!("{}{suffix}", base.chars().take(keep).collect::<String>());
        n += 1;
    }
    candidate
}

fn sheet_xml(sheet: &Sheet) -> String {
    // Widths: the longest text of each column, in characters, within bounds.
    let mut widths: Vec<usize> = Vec::new();
    for row in &sheet.rows {
        for (j, c) in row.iter().enumerate() {
            let len = match c {
                Cell::Empty => 0,
                Cell::Text(t) => t.chars().count(),
                Cell::Number(x) => format!("{x}").len().min(12),
            };
            if widths.len() <= j {
                widths.resize(j + 1, 0);
            }
            widths[j] = widths[j].max(len);
        }
    }
    let mut x = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
         <worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">",
    );
    if !sheet.rows.is_empty() {
        x.push_str("<sheetViews><sheetView workbookViewId=\"0\"><pane ySplit=\"1\" topLeftCell=\"A2\" activePane=\"bottomLeft\" state=\"frozen\"/></sheetView></sheetViews>");
    }
    if !widths.is_empty() {
        x.push_str("<cols>");
        for (j, w) in widths.iter().enumerate() {
            let w = (*w + 2).clamp(8, 60);
            let _ = write!(
                x,
                "<col min=\"{n}\" max=\"{n}\" width=\"{w}\" customWidth=\"1\"/>",
                n = j + 1
            );
        }
        x.push_str("</cols>");
    }
    x.push_str("<sheetData>");
    for (i, row) in sheet.rows.iter().enumerate() {
        let _ = write!(x, "<row r=\"{}\">", i + 1);
        let style = if i == 0 { " s=\"1\"" } else { "" };
        for (j, c) in row.iter().enumerate() {
            let r = format!("{}{}", column(j), i + 1);
            match c {
                Cell::Empty => {}
                Cell::Text(t) => {
                    let _ = write!(
                        x,
                        "<c r=\"{r}\" t=\"inlineStr\"{style}><is><t xml:space=\"preserve\">{}</t></is></c>",
                        xml_escape(t)
                    );
                }
                Cell::Number(v) if v.is_finite() => {
                    let _ = write!(x, "<c r=\"{r}\"{style}><v>{v}</v></c>");
                }
                Cell::Number(_) => {}
            }
        }
        x.push_str("</row>");
    }
    x.push_str("</sheetData></worksheet>");
    x
}

const STYLES: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<styleSheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">\
<fonts count=\"2\"><font><sz val=\"11\"/><name val=\"Calibri\"/></font><font><b/><sz val=\"11\"/><name val=\"Calibri\"/></font></fonts>\
<fills count=\"2\"><fill><patternFill patternType=\"none\"/></fill><fill><patternFill patternType=\"gray125\"/></fill></fills>\
<borders count=\"1\"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
<cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\"/></cellStyleXfs>\
<cellXfs count=\"2\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/>\
<xf numFmtId=\"0\" fontId=\"1\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyFont=\"1\"/></cellXfs>\
<cellStyles count=\"1\"><cellStyle name=\"Normal\" xfId=\"0\" builtinId=\"0\"/></cellStyles>\
</styleSheet>";

/// The workbook of `sheets` as the bytes of an `.xlsx` file.
///
/// # Errors
/// Only what compressing in memory can raise (nothing in practice).
pub fn workbook(sheets: &[Sheet]) -> std::io::Result<Vec<u8>> {
    let mut names: Vec<String> = Vec::new();
    for s in sheets {
        let n = sheet_name(&s.name, &names);
        names.push(n);
    }
    let mut content_types = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
         <Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
         <Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
         <Default Extension=\"xml\" ContentType=\"application/xml\"/>\
         <Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>\
         <Override PartName=\"/xl/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml\"/>",
    );
    let mut wb = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
         <workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" \
         xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheets>",
    );
    let mut rels = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
         <Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">",
    );
    for (i, name) in names.iter().enumerate() {
        let n = i + 1;
        let _ = write!(
            content_types,
            "<Override PartName=\"/xl/worksheets/sheet{n}.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>"
        );
        let _ = write!(
            wb,
            "<sheet name=\"{}\" sheetId=\"{n}\" r:id=\"rId{n}\"/>",
            xml_escape(name)
        );
        let _ = write!(
            rels,
            "<Relationship Id=\"rId{n}\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet{n}.xml\"/>"
        );
    }
    content_types.push_str("</Types>");
    wb.push_str("</sheets></workbook>");
    let _ = write!(
        rels,
        "<Relationship Id=\"rId{}\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/></Relationships>",
        names.len() + 1
    );
    let root_rels = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
        <Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
        <Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/>\
        </Relationships>";
    let mut zip = Zip::default();
    zip.add("[Content_Types].xml", content_types.as_bytes())?;
    zip.add("_rels/.rels", root_rels.as_bytes())?;
    zip.add("xl/workbook.xml", wb.as_bytes())?;
    zip.add("xl/_rels/workbook.xml.rels", rels.as_bytes())?;
    zip.add("xl/styles.xml", STYLES.as_bytes())?;
    for (i, s) in sheets.iter().enumerate() {
        zip.add(
            &format!("xl/worksheets/sheet{}.xml", i + 1),
            sheet_xml(s).as_bytes(),
        )?;
    }
    Ok(zip.finish())
}

/// A ZIP archive being written in memory (deflated entries, no data descriptors).
#[derive(Default)]
struct Zip {
    out: Vec<u8>,
    central: Vec<u8>,
    entries: u16,
}

impl Zip {
    fn add(&mut self, name: &str, data: &[u8]) -> std::io::Result<()> {
        let mut enc = DeflateEncoder::new(Vec::new(), Compression::default());
        enc.write_all(data)?;
        let packed = enc.finish()?;
        let mut crc = flate2::Crc::new();
        crc.update(data);
        let crc = crc.sum();
        let offset = u32::try_from(self.out.len()).map_err(std::io::Error::other)?;
        let size = |n: usize| u32::try_from(n).map_err(std::io::Error::other);
        let (packed_len, len) = (size(packed.len())?, size(data.len())?);
        let name_len = u16::try_from(name.len()).map_err(std::io::Error::other)?;
        // 1 January 2020, 00:00 in MS-DOS format: a fixed date keeps exports reproducible.
        let (dos_time, dos_date) = (0u16, ((2020 - 1980) << 9 | 1 << 5 | 1) as u16);
        let common = |v: &mut Vec<u8>| {
            v.extend_from_slice(&20u16.to_le_bytes()); // version needed
            v.extend_from_slice(&0x0800u16.to_le_bytes()); // UTF-8 names
            v.extend_from_slice(&8u16.to_le_bytes()); // deflate
            v.extend_from_slice(&dos_time.to_le_bytes());
            v.extend_from_slice(&dos_date.to_le_bytes());
            v.extend_from_slice(&crc.to_le_bytes());
            v.extend_from_slice(&packed_len.to_le_bytes());
            v.extend_from_slice(&len.to_le_bytes());
            v.extend_from_slice(&name_len.to_le_bytes());
            v.extend_from_slice(&0u16.to_le_bytes()); // extra field
        };
        self.out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        common(&mut self.out);
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(&packed);
        self.central
            .extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        self.central.extend_from_slice(&20u16.to_le_bytes()); // version made by
        common(&mut self.central);
        self.central.extend_from_slice(&0u16.to_le_bytes()); // comment
        self.central.extend_from_slice(&0u16.to_le_bytes()); // disk
        self.central.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
        self.central.extend_from_slice(&0u32.to_le_bytes()); // external attributes
        self.central.extend_from_slice(&offset.to_le_bytes());
        self.central.extend_from_slice(name.as_bytes());
        self.entries += 1;
        Ok(())
    }

    fn finish(mut self) -> Vec<u8> {
        let start = self.out.len() as u32;
        let size = self.central.len() as u32;
        self.out.extend_from_slice(&self.central);
        self.out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        self.out.extend_from_slice(&0u16.to_le_bytes());
        self.out.extend_from_slice(&0u16.to_le_bytes());
        self.out.extend_from_slice(&self.entries.to_le_bytes());
        self.out.extend_from_slice(&self.entries.to_le_bytes());
        self.out.extend_from_slice(&size.to_le_bytes());
        self.out.extend_from_slice(&start.to_le_bytes());
        self.out.extend_from_slice(&0u16.to_le_bytes());
        self.out
    }
}

/// What [`read`] found wrong in a workbook.
#[derive(Debug, thiserror::Error)]
#[error("not a workbook of this writer: {0}")]
pub struct ReadError(String);

/// The entries of a ZIP archive written by [`workbook`]: (name, contents).
fn unzip(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, ReadError> {
    let bad = |what: &str| ReadError(what.to_string());
    let u16_at = |i: usize| -> Result<usize, ReadError> {
        bytes
            .get(i..i + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]) as usize)
            .ok_or_else(|| bad("truncated"))
    };
    let u32_at = |i: usize| -> Result<usize, ReadError> {
        bytes
            .get(i..i + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
            .ok_or_else(|| bad("truncated"))
    };
    let mut out = Vec::new();
    let mut i = 0;
    while u32_at(i)? == 0x0403_4b50 {
        let method = u16_at(i + 8)?;
        let packed = u32_at(i + 18)?;
        let name_len = u16_at(i + 26)?;
        let extra = u16_at(i + 28)?;
        let name_start = i + 30;
        let name = std::str::from_utf8(
            bytes
                .get(name_start..name_start + name_len)
                .ok_or_else(|| bad("name"))?,
        )
        .map_err(|_| bad("name"))?
        .to_string();
        let data_start = name_start + name_len + extra;
        let data = bytes
            .get(data_start..data_start + packed)
            .ok_or_else(|| bad("data"))?;
        let data = match method {
            0 => data.to_vec(),
            8 => {
                let mut d = flate2::read::DeflateDecoder::new(data);
                let mut v = Vec::new();
                std::io::Read::read_to_end(&mut d, &mut v).map_err(|e| ReadError(e.to_string()))?;
                v
            }
            m => return Err(ReadError(format!("compression method {m}"))),
        };
        out.push((name, data));
        i = data_start + packed;
    }
    Ok(out)
}

fn xml_unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// The text between `<tag…>` and `</tag>` of each occurrence in `xml`.
fn elements<'a>(xml: &'a str, tag: &str) -> Vec<(&'a str, &'a str)> {
    let (open, close) = (format!("<{tag}"), format!("</{tag}>"));
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        // `<c` must not match `<cols`: the tag name ends at a space, `>` or `/`.
        if !after.starts_with([' ', '>', '/']) {
            rest = after;
            continue;
        }
        let Some(end_attrs) = after.find('>') else {
            break;
        };
        let attrs = &after[..end_attrs];
        if attrs.ends_with('/') {
            out.push((attrs, ""));
            rest = &after[end_attrs + 1..];
            continue;
        }
        let body = &after[end_attrs + 1..];
        let Some(end) = body.find(&close) else { break };
        out.push((attrs, &body[..end]));
        rest = &body[end + close.len()..];
    }
    out
}

/// The sheets of a workbook written by [`workbook`]: name and cells (numbers as [`Cell::Number`],
/// text as [`Cell::Text`], gaps as [`Cell::Empty`]).
///
/// # Errors
/// [`ReadError`] when the bytes are not such a workbook.
pub fn read(bytes: &[u8]) -> Result<Vec<Sheet>, ReadError> {
    let files = unzip(bytes)?;
    let file = |name: &str| -> Result<String, ReadError> {
        files
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, d)| String::from_utf8_lossy(d).into_owned())
            .ok_or_else(|| ReadError(format!("{name} missing")))
    };
    let wb = file("xl/workbook.xml")?;
    let mut sheets = Vec::new();
    for (i, (attrs, _)) in elements(&wb, "sheet").into_iter().enumerate() {
        let name = attrs
            .split("name=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .map(xml_unescape)
            .unwrap_or_default();
        let xml = file(&format!("xl/worksheets/sheet{}.xml", i + 1))?;
        let mut rows = Vec::new();
        for (_, row) in elements(&xml, "row") {
            let mut cells = Vec::new();
            for (attrs, body) in elements(row, "c") {
                let r = attrs
                    .split("r=\"")
                    .nth(1)
                    .and_then(|r| r.split('"').next())
                    .unwrap_or("");
                let letters: String = r.chars().take_while(char::is_ascii_uppercase).collect();
                let col = letters
                    .bytes()
                    .fold(0usize, |acc, b| acc * 26 + (b - b'A' + 1) as usize)
                    .saturating_sub(1);
                while cells.len() < col {
                    cells.push(Cell::Empty);
                }
                let cell = if attrs.contains("t=\"inlineStr\"") {
                    Cell::Text(
                        elements(body, "t")
                            .first()
                            .map(|(_, t)| xml_unescape(t))
                            .unwrap_or_default(),
                    )
                } else {
                    let v = elements(body, "v")
                        .first()
                        .map(|(_, v)| v.to_string())
                        .unwrap_or_default();
                    Cell::Number(
                        v.parse()
                            .map_err(|_| ReadError(format!("cell {r}: {v:?}")))?,
                    )
                };
                cells.push(cell);
            }
            rows.push(cells);
        }
        sheets.push(Sheet { name, rows });
    }
    Ok(sheets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_lettered_like_a_spreadsheet() {
        assert_eq!(column(0), "A");
        assert_eq!(column(25), "Z");
        assert_eq!(column(26), "AA");
        assert_eq!(column(27), "AB");
        assert_eq!(column(701), "ZZ");
        assert_eq!(column(702), "AAA");
    }

    #[test]
    fn sheet_names_are_valid_and_unique() {
        let long = "Thèmes par groupe : sexe / âge [avis] et encore plus long";
        let a = sheet_name(long, &[]);
        assert!(a.chars().count() <= 31);
        assert!(!a.contains('/') && !a.contains('[') && !a.contains(':'));
        let b = sheet_name(long, std::slice::from_ref(&a));
        assert_ne!(a, b);
        assert!(b.chars().count() <= 31);
        assert_eq!(sheet_name("", &[]), "Feuille");
    }

    #[test]
    fn a_workbook_reads_back_cell_for_cell() {
        let sheets = vec![
            Sheet {
                name: "Résultats".into(),
                rows: vec![
                    vec!["question".into(), "part".into(), "note".into()],
                    vec!["Q1 <&> \"é\"".into(), Cell::Number(0.4213), Cell::Empty],
                    vec![Cell::Empty, Cell::Number(12.0), "masqué".into()],
                ],
            },
            Sheet {
                name: "Résultats".into(),
                rows: vec![],
            },
        ];
        let bytes = workbook(&sheets).unwrap();
        assert_eq!(&bytes[..2], b"PK");
        let back = read(&bytes).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].name, "Résultats");
        assert_eq!(back[1].name, "Résultats (2)");
        // Trailing empty cells are not written; leading ones are kept as gaps.
        let mut want = sheets[0].rows.clone();
        want[1].pop();
        assert_eq!(back[0].rows, want);
        // The header is bold, the others not; the first row stays in view.
        let xml = sheet_xml(&sheets[0]);
        assert!(xml.contains("<c r=\"A1\" t=\"inlineStr\" s=\"1\">"));
        assert!(xml.contains("<c r=\"B2\"><v>0.4213</v></c>"));
        assert!(xml.contains("state=\"frozen\""));
        assert!(xml.contains("<col min=\"1\" max=\"1\" width=\"12\""));
    }

    #[test]
    fn a_corrupt_file_is_refused() {
        assert!(read(b"PK\x03\x04 not really").is_err());
        assert!(read(b"").is_err());
    }
}
