//! Streaming readers for OSM XML (`.osm`) and PBF (`.osm.pbf`) that yield one
//! element at a time, so a file of any size is read in bounded memory.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::error::{DataError, Result};

/// Key/value tags of an element.
pub type Tags = Vec<(String, String)>;

/// The kind of a relation member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberKind {
    Node,
    Way,
    Relation,
}

/// One member of a relation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub kind: MemberKind,
    pub id: i64,
    pub role: String,
}

/// One OSM element, as read from the file.
#[derive(Debug, Clone, PartialEq)]
pub enum Element {
    Node {
        id: i64,
        lon: f64,
        lat: f64,
        tags: Tags,
    },
    Way {
        id: i64,
        refs: Vec<i64>,
        tags: Tags,
    },
    Relation {
        id: i64,
        members: Vec<Member>,
        tags: Tags,
    },
}

/// OSM file encodings we read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OsmFormat {
    Xml,
    Pbf,
}

impl OsmFormat {
    /// Guess from the file name, falling back to sniffing the first bytes.
    pub fn detect(path: &Path) -> Result<Self> {
        let name = path.to_string_lossy().to_ascii_lowercase();
        if name.ends_with(".pbf") {
            return Ok(OsmFormat::Pbf);
        }
        if name.ends_with(".osm") || name.ends_with(".xml") {
            return Ok(OsmFormat::Xml);
        }
        let mut head = [0u8; 64];
        let mut file = File::open(path).map_err(|source| io_err(path, source))?;
        let n = file
            .read(&mut head)
            .map_err(|source| io_err(path, source))?;
        let text = String::from_utf8_lossy(&head[..n]);
        if text.trim_start().starts_with('<') {
            Ok(OsmFormat::Xml)
        } else {
            Ok(OsmFormat::Pbf)
        }
    }
}

fn io_err(path: &Path, source: std::io::Error) -> DataError {
    DataError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A reader that counts the bytes that pass through it (for progress bars).
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Read every element of `path` in file order, calling `visit` for each.
/// `bytes_read` is updated as the file is consumed. `visit` may stop the
/// read early by returning an error, which is passed through.
pub fn read_elements(
    path: &Path,
    bytes_read: &Arc<AtomicU64>,
    visit: &mut dyn FnMut(Element) -> Result<()>,
) -> Result<()> {
    let format = OsmFormat::detect(path)?;
    let file = File::open(path).map_err(|source| io_err(path, source))?;
    let counting = Counting {
        inner: file,
        count: bytes_read.clone(),
    };
    match format {
        OsmFormat::Xml => read_xml(BufReader::with_capacity(1 << 16, counting), visit),
        OsmFormat::Pbf => read_pbf(BufReader::with_capacity(1 << 16, counting), visit),
    }
}

/// Read every element of an in-memory file of `format` (see
/// [`read_elements`]).
pub fn read_elements_from(
    data: &[u8],
    format: OsmFormat,
    visit: &mut dyn FnMut(Element) -> Result<()>,
) -> Result<()> {
    match format {
        OsmFormat::Xml => read_xml(data, visit),
        OsmFormat::Pbf => read_pbf(data, visit),
    }
}

fn read_pbf<R: Read + Send>(reader: R, visit: &mut dyn FnMut(Element) -> Result<()>) -> Result<()> {
    use osmpbf::{BlobDecode, BlobReader, Element as P, RelMemberType};
    let blobs = BlobReader::new(reader);
    let mut blob_count = 0u64;
    let mut failure: Option<DataError> = None;
    let tags_of = |it: &mut dyn Iterator<Item = (&str, &str)>| -> Tags {
        it.map(|(k, v)| (k.to_owned(), v.to_owned())).collect()
    };
    // A mangled file once made osmpbf panic (found by fuzzing: an overflow in
    // dense-node coordinates, fuzz/crashes/osm_pbf/). The vendored copy
    // (vendor/osmpbf/PATCHES.md) now saturates instead, and the range check
    // below turns the result into an error; this guard stays so that any
    // panic still left in the reader is an error too, never a crash.
    let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // ElementReader::for_each without its blind spot: every blob is
        // counted, so a file with none (empty, or cut inside the first
        // blob header) is refused instead of read as an empty extract.
        let failed = std::cell::Cell::new(false);
        let mut on_element = |element: P<'_>| {
            if failure.is_some() {
                return;
            }
            let element = match element {
                P::Node(n) => Element::Node {
                    id: n.id(),
                    lon: n.lon(),
                    lat: n.lat(),
                    tags: tags_of(&mut n.tags()),
                },
                P::DenseNode(n) => Element::Node {
                    id: n.id(),
                    lon: n.lon(),
                    lat: n.lat(),
                    tags: tags_of(&mut n.tags()),
                },
                P::Way(w) => Element::Way {
                    id: w.id(),
                    refs: w.refs().collect(),
                    tags: tags_of(&mut w.tags()),
                },
                P::Relation(r) => Element::Relation {
                    id: r.id(),
                    members: r
                        .members()
                        .map(|m| Member {
                            kind: match m.member_type {
                                RelMemberType::Node => MemberKind::Node,
                                RelMemberType::Way => MemberKind::Way,
                                RelMemberType::Relation => MemberKind::Relation,
                            },
                            id: m.member_id,
                            role: m.role().unwrap_or_default().to_owned(),
                        })
                        .collect(),
                    tags: tags_of(&mut r.tags()),
                },
            };
            if let Element::Node { id, lon, lat, .. } = element
                && (!(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat))
            {
                failure = Some(DataError::OsmPbf(format!(
                    "node {id} has coordinates out of range"
                )));
                failed.set(true);
                return;
            }
            if let Err(e) = visit(element) {
                failure = Some(e);
                failed.set(true);
            }
        };
        for blob in blobs {
            let blob = blob?;
            blob_count += 1;
            match blob.decode()? {
                BlobDecode::OsmHeader(_) | BlobDecode::Unknown(_) => {}
                BlobDecode::OsmData(block) => block.for_each_element(&mut on_element),
            }
            if failed.get() {
                break;
            }
        }
        Ok::<(), osmpbf::Error>(())
    }));
    match read {
        Ok(result) => result.map_err(|e| DataError::OsmPbf(e.to_string()))?,
        Err(_) => {
            return Err(DataError::OsmPbf(
                "malformed PBF: the reader failed on a corrupt block".to_owned(),
            ));
        }
    }
    if let Some(e) = failure {
        return Err(e);
    }
    if blob_count == 0 {
        return Err(DataError::OsmPbf(
            "the file holds no PBF blob (it is empty or cut short)".to_owned(),
        ));
    }
    Ok(())
}

/// What the XML reader is in the middle of.
enum Open {
    None,
    Node { id: i64, lon: f64, lat: f64 },
    Way { id: i64 },
    Relation { id: i64 },
}

fn read_xml<R: BufRead>(reader: R, visit: &mut dyn FnMut(Element) -> Result<()>) -> Result<()> {
    let mut xml = Reader::from_reader(reader);
    let mut buf = Vec::with_capacity(4096);
    let mut open = Open::None;
    let mut tags: Tags = Vec::new();
    let mut refs: Vec<i64> = Vec::new();
    let mut members: Vec<Member> = Vec::new();
    let mut root = Root::Before;
    loop {
        let position = xml.buffer_position();
        let err = |message: String| DataError::OsmXml { position, message };
        let event = xml
            .read_event_into(&mut buf)
            .map_err(|e| err(e.to_string()))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                let name = e.local_name();
                if root == Root::Closed {
                    return Err(err("content after the closing </osm>".into()));
                }
                match name.as_ref() {
                    b"osm" => {
                        if root != Root::Before {
                            return Err(err("<osm> inside <osm>".into()));
                        }
                        root = if empty { Root::Closed } else { Root::Open };
                    }
                    b"node" | b"way" | b"relation" => {
                        if root != Root::Open {
                            return Err(err(format!(
                                "<{}> outside the <osm> root element",
                                String::from_utf8_lossy(name.as_ref())
                            )));
                        }
                        if !matches!(open, Open::None) {
                            return Err(err("element nested inside another element".into()));
                        }
                        let a = Attrs::read(e).map_err(err)?;
                        let id = a.int("id").map_err(err)?;
                        tags.clear();
                        refs.clear();
                        members.clear();
                        open = match name.as_ref() {
                            b"node" => {
                                let lon = a.float("lon").map_err(err)?;
                                let lat = a.float("lat").map_err(err)?;
                                if !(-180.0..=180.0).contains(&lon)
                                    || !(-90.0..=90.0).contains(&lat)
                                {
                                    return Err(err(format!(
                                        "node {id} has coordinates out of range"
                                    )));
                                }
                                Open::Node { id, lon, lat }
                            }
                            b"way" => Open::Way { id },
                            _ => Open::Relation { id },
                        };
                        if empty {
                            emit(&mut open, &mut tags, &mut refs, &mut members, visit)?;
                        }
                    }
                    b"tag" => {
                        let a = Attrs::read(e).map_err(err)?;
                        let k = a.text("k").map_err(err)?;
                        let v = a.text("v").map_err(err)?;
                        if matches!(open, Open::None) {
                            return Err(err("<tag> outside an element".into()));
                        }
                        tags.push((k, v));
                    }
                    b"nd" => {
                        let a = Attrs::read(e).map_err(err)?;
                        if !matches!(open, Open::Way { .. }) {
                            return Err(err("<nd> outside a way".into()));
                        }
                        refs.push(a.int("ref").map_err(err)?);
                    }
                    b"member" => {
                        let a = Attrs::read(e).map_err(err)?;
                        if !matches!(open, Open::Relation { .. }) {
                            return Err(err("<member> outside a relation".into()));
                        }
                        let kind = match a.text("type").map_err(err)?.as_str() {
                            "node" => MemberKind::Node,
                            "way" => MemberKind::Way,
                            "relation" => MemberKind::Relation,
                            other => return Err(err(format!("unknown member type `{other}`"))),
                        };
                        members.push(Member {
                            kind,
                            id: a.int("ref").map_err(err)?,
                            role: a.text("role").unwrap_or_default(),
                        });
                    }
                    _ => {}
                }
            }
            Event::End(ref e) => match e.local_name().as_ref() {
                b"node" | b"way" | b"relation" => {
                    emit(&mut open, &mut tags, &mut refs, &mut members, visit)?;
                }
                b"osm" => root = Root::Closed,
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    let end = |message: &str| DataError::OsmXml {
        position: xml.buffer_position(),
        message: message.into(),
    };
    if !matches!(open, Open::None) {
        return Err(end("file ends inside an element"));
    }
    // Every element read so far may be complete, yet a document whose root
    // is not closed is not a document: a file cut short after `</way>` would
    // otherwise import as a partial success.
    match root {
        Root::Before => Err(end("no <osm> root element")),
        Root::Open => Err(end(
            "the file ends before the closing </osm>: it is cut short (truncated)",
        )),
        Root::Closed => Ok(()),
    }
}

/// Where the XML reader is relative to the `<osm>` root element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Root {
    Before,
    Open,
    Closed,
}

fn emit(
    open: &mut Open,
    tags: &mut Tags,
    refs: &mut Vec<i64>,
    members: &mut Vec<Member>,
    visit: &mut dyn FnMut(Element) -> Result<()>,
) -> Result<()> {
    let element = match std::mem::replace(open, Open::None) {
        Open::None => return Ok(()),
        Open::Node { id, lon, lat } => Element::Node {
            id,
            lon,
            lat,
            tags: std::mem::take(tags),
        },
        Open::Way { id } => Element::Way {
            id,
            refs: std::mem::take(refs),
            tags: std::mem::take(tags),
        },
        Open::Relation { id } => Element::Relation {
            id,
            members: std::mem::take(members),
            tags: std::mem::take(tags),
        },
    };
    visit(element)
}

/// The attributes of one XML start tag, unescaped.
struct Attrs(Vec<(Vec<u8>, String)>);

impl Attrs {
    fn read(e: &BytesStart<'_>) -> std::result::Result<Self, String> {
        let mut out = Vec::new();
        for attr in e.attributes() {
            let attr = attr.map_err(|e| e.to_string())?;
            let value = attr.unescape_value().map_err(|e| e.to_string())?;
            out.push((attr.key.local_name().as_ref().to_vec(), value.into_owned()));
        }
        Ok(Attrs(out))
    }
    fn text(&self, key: &str) -> std::result::Result<String, String> {
        self.0
            .iter()
            .find(|(k, _)| k == key.as_bytes())
            .map(|(_, v)| v.clone())
            .ok_or_else(|| format!("missing attribute `{key}`"))
    }
    fn int(&self, key: &str) -> std::result::Result<i64, String> {
        let t = self.text(key)?;
        t.parse()
            .map_err(|_| format!("attribute `{key}` is not an integer: `{t}`"))
    }
    fn float(&self, key: &str) -> std::result::Result<f64, String> {
        let t = self.text(key)?;
        match t.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(format!("attribute `{key}` is not a number: `{t}`")),
        }
    }
}
